//! Taxonomy and areas.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_taxonomy_is_served_with_labels_synonyms_and_attribution() {
    let app = spawn_app().await;
    let body = json_body(app.send(Method::GET, "/v1/taxonomy", None, None, None).await).await;
    let interests = body["interests"].as_array().cloned().unwrap_or_default();
    assert_eq!(interests.len(), 348);
    let football = interests.iter().find(|term| term["id"] == "sport_fitness.football").cloned().unwrap_or_default();
    assert_eq!(football["label"], "Football");
    assert!(football["synonyms"].as_array().is_some_and(|synonyms| synonyms.contains(&json!("soccer"))));
    for vocabulary in ["support_needs", "communication", "access_needs", "goals", "availability", "travel", "genders"] {
        assert!(body[vocabulary].as_array().is_some_and(|terms| !terms.is_empty()), "{vocabulary}");
    }
    assert!(body["attribution"].as_str().is_some_and(|text| text.contains("SALT")));
}

#[tokio::test]
async fn outcodes_and_full_postcodes_resolve_to_their_district_and_authority() {
    let app = spawn_app().await;
    for (input, outcode, authority, name) in [
        ("TW9", "TW9", "E09000027", "Richmond upon Thames"),
        ("tw9%201ab", "TW9", "E09000027", "Richmond upon Thames"),
        ("m1", "M1", "E08000003", "Manchester"),
        ("EH1", "EH1", "S12000036", "City of Edinburgh"),
        ("SW1A1AA", "SW1A", "E09000033", "Westminster"),
        ("CF10", "CF10", "W06000015", "Cardiff"),
    ] {
        let body =
            json_body(app.send(Method::GET, &format!("/v1/areas/outcodes/{input}"), None, None, None).await).await;
        assert_eq!(body["outcode"], outcode, "{input}");
        assert_eq!(body["authority_code"], authority, "{input}");
        assert_eq!(body["authority_name"], name, "{input}");
        assert!(body["attribution"].as_str().is_some_and(|text| text.contains("Crown copyright")));
        assert!(!body.to_string().to_uppercase().contains("1AB"), "no inward code in the answer");
    }
    let unknown = assert_problem(
        app.send(Method::GET, "/v1/areas/outcodes/TW99", None, None, None).await,
        422,
        "unknown_outcode",
    )
    .await;
    assert!(unknown["errors"][0]["message"].as_str().is_some_and(|message| message.contains("TW9")));
    assert_problem(
        app.send(Method::GET, "/v1/areas/outcodes/hello%20world", None, None, None).await,
        422,
        "validation_failed",
    )
    .await;
}
