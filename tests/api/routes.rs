//! `cargo lambda watch` (make dev) routes as the API's routing table says;
//! tools/check_template.py checks template.yaml against the same Cargo router.

use std::collections::BTreeSet;

use tasks::api::routes::ROUTES;

#[test]
fn cargo_lambda_router_is_the_routing_table() {
    let manifest = include_str!("../../Cargo.toml");
    let manifest: toml::Table = toml::from_str(manifest).expect("Cargo.toml is TOML");
    let router = &manifest["workspace"]["metadata"]["lambda"]["watch"]["router"];
    let mut in_cargo = BTreeSet::new();
    for (path, routes) in router.as_table().expect("the router is a table") {
        for route in routes.as_array().expect("each path has a list of routes") {
            in_cargo.insert((
                path.clone(),
                route["method"].as_str().unwrap().to_owned(),
                route["function"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let in_table: BTreeSet<_> = ROUTES
        .iter()
        .map(|route| {
            (
                route.resource.path().to_owned(),
                route.method.to_string(),
                route.function.as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(in_cargo, in_table);
}
