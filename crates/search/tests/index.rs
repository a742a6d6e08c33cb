//! The search index on a real folder.

use friends_search::{OpenOutcome, PublicSearchRequest, SearchDocument, SearchIndex, SearchRequest};
use uuid::Uuid;

fn person(id: u128, text: &str, outcode: &str, authority: &str) -> SearchDocument {
    SearchDocument {
        id: Uuid::from_u128(id),
        text: text.to_owned(),
        interests: vec!["sport_fitness.football".into()],
        goals: vec!["share_pa".into()],
        authorities: vec![authority.to_owned()],
        outcode: outcode.to_owned(),
        listed_in: None,
        public_text: String::new(),
    }
}

fn open(folder: &std::path::Path) -> (SearchIndex, OpenOutcome) {
    match SearchIndex::open(folder) {
        Ok(opened) => opened,
        Err(error) => panic!("open: {error}"),
    }
}

fn ids(index: &SearchIndex, request: &SearchRequest) -> Vec<u128> {
    match index.search(request) {
        Ok(page) => page.hits.iter().map(|hit| hit.id.as_u128()).collect(),
        Err(error) => panic!("search: {error}"),
    }
}

fn folder_contains(folder: &std::path::Path, needle: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(folder) else { return false };
    entries.flatten().any(|entry| {
        std::fs::read(entry.path()).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
    })
}

#[test]
fn a_missing_corrupt_or_foreign_index_is_recreated_and_a_good_one_reopened() {
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let folder = dir.path().join("index");
    let (index, outcome) = open(&folder);
    assert!(matches!(outcome, OpenOutcome::Created { .. }), "{outcome:?}");
    assert!(index.apply(7, &[Uuid::from_u128(1)], &[person(1, "canal boats", "TW9", "E09000027")], &[]).is_ok());
    drop(index);
    let (index, outcome) = open(&folder);
    assert_eq!(outcome, OpenOutcome::Opened { seq: 7 });
    assert_eq!(index.len(), 1);
    drop(index);

    // Truncate every segment file: detected and recreated.
    for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != "meta.json" && !name.starts_with('.') {
            let _ = std::fs::write(entry.path(), b"");
        }
    }
    let (index, outcome) = open(&folder);
    assert!(matches!(outcome, OpenOutcome::Created { .. }), "truncated: {outcome:?}");
    assert!(index.is_empty());
    drop(index);

    // Someone else's meta.json.
    let _ = std::fs::write(folder.join("meta.json"), b"{\"not\": \"ours\"}");
    let (_, outcome) = open(&folder);
    assert!(matches!(outcome, OpenOutcome::Created { .. }), "foreign: {outcome:?}");
}

#[test]
fn free_text_is_stemmed_typo_tolerant_and_cannot_name_fields() {
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let (index, _) = open(&dir.path().join("index"));
    let people = [
        person(1, "I love canal boats and gardening", "TW9", "E09000027"),
        person(2, "Knitting, baking, quiet evenings", "M1", "E08000003"),
    ];
    let changed: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    assert!(index.apply(1, &changed, &people, &[]).is_ok());
    let search = |text: &str| ids(&index, &SearchRequest { text: Some(text.into()), limit: 10, ..Default::default() });
    assert_eq!(search("boating"), vec![1], "stemmed");
    assert_eq!(search("gardenning"), vec![1], "one typo");
    assert_eq!(search("knitting"), vec![2]);
    assert!(search("outcode:M1").is_empty() || search("outcode:M1") == vec![2], "field syntax is just words");
    assert!(search("authorities:E08000003 OR *").is_empty(), "no syntax widens a search");
    assert!(search("the and of").is_empty(), "stop words alone match nobody");
}

#[test]
fn filters_and_cursors_page_through_every_hit_once() {
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let (index, _) = open(&dir.path().join("index"));
    let people: Vec<SearchDocument> =
        (1..=25).map(|n| person(n, "football fan", if n % 2 == 0 { "TW9" } else { "M1" }, "E09000027")).collect();
    let changed: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    assert!(index.apply(1, &changed, &people, &[]).is_ok());
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let request = SearchRequest {
            outcodes: Some(vec!["TW9".into()]),
            excluded: vec![Uuid::from_u128(2)],
            limit: 5,
            after,
            ..Default::default()
        };
        let Ok(page) = index.search(&request) else { panic!("search") };
        seen.extend(page.hits.iter().map(|hit| hit.id.as_u128()));
        match page.next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    let expected: Vec<u128> = (4..=24).step_by(2).collect();
    assert_eq!(seen, expected, "every even id but the excluded one, once, in id order");
    let by_authority =
        ids(&index, &SearchRequest { authority: Some("E08000003".into()), limit: 50, ..Default::default() });
    assert!(by_authority.is_empty());
}

#[test]
fn after_an_erasure_the_text_is_gone_from_the_folder() {
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let folder = dir.path().join("index");
    let (index, _) = open(&folder);
    let canary = "zyxwvutsrq";
    let people = [
        person(1, &format!("I collect {canary} stamps"), "TW9", "E09000027"),
        person(2, "football", "TW9", "E09000027"),
    ];
    let changed: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    assert!(index.apply(1, &changed, &people, &[]).is_ok());
    assert!(index.apply(2, &[Uuid::from_u128(2)], &[person(2, "football again", "TW9", "E09000027")], &[]).is_ok());
    assert!(index.holds_word(canary).unwrap_or(false), "control: the word is in the index");
    assert!(index.apply(3, &[Uuid::from_u128(1)], &[], &[Uuid::from_u128(1)]).is_ok());
    assert!(!index.holds_word(canary).unwrap_or(true), "the erased person's words must leave every segment");
    assert!(!folder_contains(&folder, canary), "and no file holds them as written");
    // A fresh open of the folder agrees.
    drop(index);
    let (reopened, _) = open(&folder);
    assert!(!reopened.holds_word(canary).unwrap_or(true));
    assert_eq!(reopened.committed_seq().ok(), Some(3));
    assert_eq!(reopened.len(), 1);
}

#[test]
fn a_rebuild_fed_in_pages_replaces_everything() {
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let (index, _) = open(&dir.path().join("index"));
    assert!(index.apply(1, &[Uuid::from_u128(9)], &[person(9, "stale", "TW9", "E09000027")], &[]).is_ok());
    assert!(index.start_rebuild().is_ok());
    assert!(index.add(&[person(1, "first page", "TW9", "E09000027")]).is_ok());
    assert!(index.add(&[person(2, "second page", "TW9", "E09000027")]).is_ok());
    assert!(index.finish_rebuild(5).is_ok());
    let all = ids(&index, &SearchRequest { limit: 10, ..Default::default() });
    assert_eq!(all, vec![1, 2]);
    assert_eq!(index.committed_seq().ok(), Some(5));
}

#[test]
fn the_index_stores_no_field_at_all() {
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let (index, _) = open(&dir.path().join("index"));
    assert!(index.stored_fields().is_empty(), "{:?}", index.stored_fields());
}

#[test]
fn many_small_batches_do_not_pile_up_segments() {
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let (index, _) = open(&dir.path().join("index"));
    for n in 1..=30u128 {
        assert!(
            index.apply(n as i64, &[Uuid::from_u128(n)], &[person(n, "football", "TW9", "E09000027")], &[]).is_ok()
        );
    }
    assert!(index.segment_count() <= 9, "{} segments", index.segment_count());
    assert_eq!(index.len(), 30);
    assert_eq!(index.committed_seq().ok(), Some(30));
}

#[test]
fn public_search_reads_listings_of_one_authority_and_interest_words_only() {
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let (index, _) = open(&dir.path().join("index"));
    let listed = |id: u128, authority: &str| SearchDocument {
        listed_in: Some(authority.to_owned()),
        public_text: "Football soccer".to_owned(),
        ..person(id, "Football soccer I have autism and use a wheelchair", "TW9", authority)
    };
    let people = [
        listed(1, "E09000027"),
        listed(2, "E09000027"),
        // Not listed: in member search, never in public search.
        person(3, "Football soccer", "TW9", "E09000027"),
        // Listed by another council.
        listed(4, "E08000003"),
    ];
    let changed: Vec<Uuid> = people.iter().map(|person| person.id).collect();
    assert!(index.apply(1, &changed, &people, &[]).is_ok());
    let public = |text: Option<&str>, interests: &[&str]| -> Vec<u128> {
        let request = PublicSearchRequest {
            authority: "E09000027".to_owned(),
            text: text.map(str::to_owned),
            interests: interests.iter().map(|id| (*id).to_owned()).collect(),
            goals: Vec::new(),
        };
        let Ok(hits) = index.public_search(&request) else { panic!("public search") };
        let mut ids: Vec<u128> = hits.iter().map(|hit| hit.id.as_u128()).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(public(None, &[]), vec![1, 2]);
    assert_eq!(public(Some("soccer"), &[]), vec![1, 2]);
    assert_eq!(public(None, &["sport_fitness.football"]), vec![1, 2]);
    // The about text is member search's only: words of needs find nobody.
    assert_eq!(public(Some("autism"), &[]), Vec::<u128>::new());
    assert_eq!(public(Some("wheelchair"), &[]), Vec::<u128>::new());
    assert_eq!(public(Some("the"), &[]), Vec::<u128>::new());
    // Member search still reads the about text (person 3's says nothing of autism).
    let member = SearchRequest { text: Some("autism".into()), limit: 10, ..SearchRequest::default() };
    let mut found = ids(&index, &member);
    found.sort_unstable();
    assert_eq!(found, vec![1, 2, 4]);
}

#[test]
fn a_torn_file_is_found_by_its_checksum_and_the_index_recreated() {
    // The index does not sync its writes: after a power loss a file may
    // hold other bytes than were written, at its full length.
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let folder = dir.path().join("index");
    let (index, _) = open(&folder);
    let people: Vec<SearchDocument> =
        (1..=200).map(|n| person(n, &format!("canal boats number {n}"), "TW9", "E09000027")).collect();
    let ids: Vec<Uuid> = people.iter().map(|person| person.id).collect();
    assert!(index.apply(3, &ids, &people, &[]).is_ok());
    drop(index);
    let largest = std::fs::read_dir(&folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".idx"))
        .max_by_key(|entry| entry.metadata().map(|metadata| metadata.len()).unwrap_or(0));
    let Some(file) = largest else { panic!("a segment file") };
    let Ok(mut bytes) = std::fs::read(file.path()) else { panic!("read") };
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    if let Err(error) = std::fs::write(file.path(), &bytes) {
        panic!("{error}");
    }
    let (index, outcome) = open(&folder);
    match outcome {
        OpenOutcome::Created { reason } => assert!(reason.contains("damaged"), "{reason}"),
        other => panic!("a torn file must not be opened as it is: {other:?}"),
    }
    assert_eq!(index.len(), 0, "recreated empty, for the caller to rebuild");
}
