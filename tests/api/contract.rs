//! `api-spec/openapi.yaml` and the served routes agree, both ways.

use std::collections::BTreeSet;

use friends_api::routes::route_specs;

const SPEC: &str = include_str!("../../api-spec/openapi.yaml");

/// `(METHOD, path)` pairs under `paths:` in the spec. The spec is ours and
/// written in the plain block style this reads: paths at two spaces, methods
/// at four.
fn spec_routes() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let mut in_paths = false;
    let mut current_path: Option<String> = None;
    for line in SPEC.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_paths = line.trim_end() == "paths:";
            current_path = None;
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(path) = line.strip_prefix("  /").and_then(|rest| rest.strip_suffix(':')) {
            current_path = Some(format!("/{path}"));
        } else if let Some(method) = line.strip_prefix("    ").and_then(|rest| rest.strip_suffix(':'))
            && ["get", "post", "patch", "put", "delete"].contains(&method)
            && let Some(path) = &current_path
        {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

fn served_routes() -> BTreeSet<(String, String)> {
    route_specs()
        .into_iter()
        .flat_map(|spec| spec.methods.into_iter().map(move |method| (method.to_string(), spec.path.to_owned())))
        .collect()
}

#[test]
fn every_served_route_is_in_the_spec_and_every_spec_route_is_served() {
    let spec = spec_routes();
    let served = served_routes();
    assert!(served.len() >= 9, "the route table is read: {served:?}");
    let undocumented: Vec<_> = served.difference(&spec).collect();
    let unserved: Vec<_> = spec.difference(&served).collect();
    assert!(undocumented.is_empty(), "served but not in api-spec/openapi.yaml: {undocumented:?}");
    assert!(unserved.is_empty(), "in api-spec/openapi.yaml but not served: {unserved:?}");
}

#[test]
fn the_spec_documents_every_error_code_the_api_can_return() {
    // The catalogue is closed: every code the API can answer with is one of
    // these, so a new code fails here until the spec describes it.
    for code in friends_api::errors::ErrorCode::ALL {
        let quoted = format!("`{}`", code.as_str());
        assert!(SPEC.contains(&quoted), "api-spec/openapi.yaml does not mention the error code {quoted}");
    }
}

#[test]
fn the_problem_schema_lists_every_error_code() {
    // schemathesis validates every error body against this enum: a code
    // missing from it fails the outside fuzzer, so it fails here first.
    let Some(start) = SPEC.find("\n    Problem:\n") else { panic!("the spec has a Problem schema") };
    let schema = &SPEC[start..];
    let Some(enum_at) = schema.find("enum: [") else { panic!("Problem.code has an enum") };
    let Some(end) = schema[enum_at..].find(']') else { panic!("the enum closes") };
    let listed: BTreeSet<&str> = schema[enum_at + "enum: [".len()..enum_at + end]
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .collect();
    let catalogue: BTreeSet<&str> = friends_api::errors::ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(listed, catalogue, "Problem.code's enum and the error catalogue differ");
}
