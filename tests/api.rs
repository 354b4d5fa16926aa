//! The JSON API: bearer tokens, problem+json errors, and the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;

backend_tests! {
    async fn tokens_authenticate_and_wrong_tokens_do_not(app: TestApp) {
        let client = app.client();
        let token = app.token(BD_OFFICER).await;
        let me: serde_json::Value = client.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], BD_OFFICER);
        assert_eq!(me["role"], "borough_officer");
        assert_eq!(me["area_code"], "E09000002");
        let r = client.get(app.url("/api/v1/me")).bearer_auth("lcpf_not-a-real-token").send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
    }

    async fn reference_data_is_served(app: TestApp) {
        let token = app.token(VIEWER).await;
        let client = app.client();
        let areas: Vec<serde_json::Value> = client.get(app.url("/api/v1/areas")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(areas.len(), 33);
        assert_eq!(areas.iter().filter(|a| a["in_lcpf"] == true).count(), 32);
        let bd: serde_json::Value = client.get(app.url("/api/v1/areas/E09000002")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(bd["area"]["org_id"], "GB-LAE-BDG");
        assert!(matches!(bd["boundary"]["type"].as_str(), Some("Polygon" | "MultiPolygon")), "{}", bd["boundary"]["type"]);
        assert!(!bd["boundary"]["coordinates"].as_array().unwrap().is_empty());
        let boroughs: Vec<serde_json::Value> = client.get(app.url("/api/v1/organisations?kind=borough")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(boroughs.len(), 32);
        let plan: serde_json::Value = client.get(app.url("/api/v1/plans/1")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let names: Vec<&str> = plan["priorities"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Neighbourhood Policing", "Children and Young People", "Violence Against Women and Girls", "Hate Crime and Extremism", "Wider Criminal Justice System"]);
        assert_eq!(plan["priorities"][1]["objectives"][1]["text"], "Reduce the number of first-time entrants to the criminal justice service");
        assert!(plan["priorities"][0]["guidance"].as_array().unwrap().iter().any(|g| g == "Cannot fund MPS or buy police officers."));
        let cats: Vec<serde_json::Value> = client.get(app.url("/api/v1/project-categories")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(cats.len(), 18);
        assert_eq!(cats[0]["name"], "ASB and neighbourhood crime");
    }

    async fn bad_input_gets_problem_json_naming_each_field(app: TestApp) {
        let token = app.token(ADMIN).await;
        let client = app.client();
        let before = app.audit_count().await;
        let r = client.post(app.url("/api/v1/organisations")).bearer_auth(&token)
            .json(&serde_json::json!({"name": "St Mungo's", "kind": "charity", "org_id": "216250", "charity_number": "12-34"}))
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: serde_json::Value = r.json().await.unwrap();
        let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["kind", "org_id", "charity_number"]);
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("choose funder, borough, provider or police"));
        let r = client.post(app.url("/api/v1/organisations")).bearer_auth(&token).body("{not json").send().await.unwrap();
        assert_eq!(r.status(), 422);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "body");
        let r = client.get(app.url("/api/v1/organisations?kind=club")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let r = client.get(app.url("/api/v1/organisations/not-a-number")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(app.audit_count().await, before);
        let r = client.post(app.url("/api/v1/organisations")).bearer_auth(&token)
            .json(&serde_json::json!({"name": "St Mungo's", "kind": "provider", "org_id": "GB-CHC-1149085"}))
            .send().await.unwrap();
        assert_eq!(r.status(), 201);
        let dup = client.post(app.url("/api/v1/organisations")).bearer_auth(&token)
            .json(&serde_json::json!({"name": "St Mungo's", "kind": "provider"}))
            .send().await.unwrap();
        assert_eq!(dup.status(), 422, "a duplicate name is a field error, not a 500");
    }

    async fn api_changes_need_a_token_not_a_cookie(app: TestApp) {
        let (client, _) = app.signed_in(ADMIN).await;
        let r = client.post(app.url("/api/v1/organisations")).json(&serde_json::json!({"name": "X", "kind": "provider"})).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = client.get(app.url("/api/v1/users")).send().await.unwrap();
        assert_eq!(r.status(), 200, "reads work with a browser session");
    }

    async fn users_are_added_through_the_api_with_role_rules(app: TestApp) {
        let token = app.token(ADMIN).await;
        let client = app.client();
        let r = client.post(app.url("/api/v1/users")).bearer_auth(&token)
            .json(&serde_json::json!({"email": "officer@lewisham.example", "name": "Lewisham Officer", "role": "borough_officer", "organisation": "Advance Charity", "password": "long enough password"}))
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("must belong to a borough organisation"));
        let r = client.post(app.url("/api/v1/users")).bearer_auth(&token)
            .json(&serde_json::json!({"email": "officer@lewisham.example", "name": "Lewisham Officer", "role": "borough_officer", "organisation": "GB-LAE-LEW", "password": "long enough password"}))
            .send().await.unwrap();
        assert_eq!(r.status(), 201);
        let user: serde_json::Value = r.json().await.unwrap();
        assert_eq!(user["organisation_name"], "Lewisham");
        let audit: Vec<serde_json::Value> = client.get(app.url("/api/v1/audit?action=user.add&actor=admin@mopac.example")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(audit.len(), 1);
        assert!(!audit[0]["after_json"].as_str().unwrap().contains("password"), "no password or hash in the log");
    }

    async fn every_response_matches_the_openapi_document(app: TestApp) {
        // The document's schemas are written beside the handlers, not derived from the
        // store's types: this keeps the two honest. Each read is checked against the
        // schema its path declares — no undeclared field, no declared one missing.
        let client = app.client();
        let token = app.token(ADMIN).await;
        let doc: serde_json::Value = client.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
        let period = app.period_id("2017/18").await;
        let proposal = app.proposal_id("2017/18", "E09000002").await.unwrap();
        let bd = app.organisation_id("Barking and Dagenham").await;
        let detail: serde_json::Value = client.get(app.url(&format!("/api/v1/periods/{period}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let scenarios: Vec<i64> = detail["scenarios"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
        assert!(scenarios.len() >= 2, "the demo has scenarios to compare: {}", detail["scenarios"]);
        let t1 = app.call_id("Tranche 1").await;
        let awarded = app.bid_id("Taith (Journey) London").await;
        let draft = app.bid_id("Minerva pathways for young women").await;
        let submitted = app.bid_id("Safer Futures: county lines early help").await;
        let grants = app.app.grants_page(&lcpf_app::Actor::System, 1).await.unwrap().rows;
        let grant = grants[0].id;
        let advance = grants.iter().find(|g| g.recipient == "Advance Charity").unwrap().id;
        let claim = app.app.grant(&lcpf_app::Actor::System, advance).await.unwrap().claims[0].id;
        let payment = app.app.claim(&lcpf_app::Actor::System, claim).await.unwrap().payment.unwrap().id;
        let reads = [
            ("/api/v1/me", "/api/v1/me".to_string()),
            ("/api/v1/organisations", "/api/v1/organisations".into()),
            ("/api/v1/organisations/{id}", format!("/api/v1/organisations/{bd}")),
            ("/api/v1/organisations/{id}/people", format!("/api/v1/organisations/{bd}/people")),
            ("/api/v1/areas", "/api/v1/areas".into()),
            ("/api/v1/areas/{code}", "/api/v1/areas/E09000002".into()),
            ("/api/v1/areas/{code}/allocations", "/api/v1/areas/E09000002/allocations".into()),
            ("/api/v1/plans", "/api/v1/plans".into()),
            ("/api/v1/plans/{id}", "/api/v1/plans/1".into()),
            ("/api/v1/project-categories", "/api/v1/project-categories".into()),
            ("/api/v1/users", "/api/v1/users".into()),
            ("/api/v1/audit", "/api/v1/audit".into()),
            ("/api/v1/funds", "/api/v1/funds".into()),
            ("/api/v1/periods/{id}", format!("/api/v1/periods/{period}")),
            ("/api/v1/scenarios/{id}", format!("/api/v1/scenarios/{}", scenarios[0])),
            ("/api/v1/scenarios/compare", format!("/api/v1/scenarios/compare?ids={},{}", scenarios[0], scenarios[1])),
            ("/api/v1/indicator-datasets", "/api/v1/indicator-datasets".into()),
            ("/api/v1/proposals/{id}", format!("/api/v1/proposals/{proposal}")),
            ("/api/v1/proposals/{id}/compare", format!("/api/v1/proposals/{proposal}/compare?from=1&to=1")),
            ("/api/v1/periods/{id}/proposals", format!("/api/v1/periods/{period}/proposals")),
            ("/api/v1/calls", "/api/v1/calls".into()),
            ("/api/v1/calls/{id}", format!("/api/v1/calls/{t1}")),
            ("/api/v1/calls/{id}/ranking", format!("/api/v1/calls/{t1}/ranking")),
            ("/api/v1/bids/{id}", format!("/api/v1/bids/{awarded}")),
            ("/api/v1/bids/{id}", format!("/api/v1/bids/{draft}")),
            ("/api/v1/bids/{id}/scores", format!("/api/v1/bids/{submitted}/scores")),
            ("/api/v1/co-commissioning/coverage", "/api/v1/co-commissioning/coverage".into()),
            ("/api/v1/assessments", "/api/v1/assessments".into()),
            ("/api/v1/grants", "/api/v1/grants".into()),
            ("/api/v1/grants/{id}", format!("/api/v1/grants/{grant}")),
            ("/api/v1/grants/{id}", format!("/api/v1/grants/{advance}")),
            ("/api/v1/claims", "/api/v1/claims?state=accepted".into()),
            ("/api/v1/claims/{id}", format!("/api/v1/claims/{claim}")),
            ("/api/v1/payments", "/api/v1/payments?state=exported".into()),
            ("/api/v1/payments/{id}", format!("/api/v1/payments/{payment}")),
            ("/api/v1/periods/{id}/close-out", format!("/api/v1/periods/{period}/close-out")),
        ];
        for (template, url) in reads {
            let r = client.get(app.url(&url)).bearer_auth(&token).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
            let body: serde_json::Value = r.json().await.unwrap();
            let schema = &doc["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
            assert!(schema.is_object(), "{template} declares no 200 schema");
            let mut problems = Vec::new();
            conforms(&doc, schema, &body, template, &mut problems);
            assert!(problems.is_empty(), "{url} does not match its OpenAPI schema:\n{}", problems.join("\n"));
        }
    }

    async fn the_openapi_document_lists_every_api_route(app: TestApp) {
        let doc: serde_json::Value = app.client().get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
        assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
        let (_, specs) = lcpf_web::router(lcpf_web::AppState::new(app.app.clone(), false));
        for spec in specs.iter().filter(|s| s.is_api()) {
            let method = spec.method.to_lowercase();
            assert!(doc["paths"][spec.path][&method].is_object(), "OpenAPI lacks {} {}", spec.method, spec.path);
        }
        // Real schemas, not `Object`: a proposal line says what it holds, its key included.
        let schemas = &doc["components"]["schemas"];
        let line = &schemas["ProposalLine"]["properties"];
        for field in ["key", "number", "priority", "years", "providers", "smart_outcomes", "police_posts"] {
            assert!(line[field].is_object(), "ProposalLine has no {field}: {}", schemas["ProposalLine"]);
        }
        assert!(schemas["LineYear"]["properties"]["cost"].is_object());
        assert!(schemas["Totals"]["properties"]["headroom"].is_object());
        assert!(schemas["RecordedDecision"]["properties"]["allocations"].is_object(), "the decisions fragment is merged");
        let detail = serde_json::to_string(&schemas["LineDetail"]).unwrap();
        assert!(detail.contains("ProposalLine"), "a line detail is the line and its id: {detail}");
    }
}

mod plans {
    use super::common::*;

    crate::backend_tests! {
        async fn a_new_plan_is_data_not_code(app: TestApp) {
            let token = app.token(ADMIN).await;
            let client = app.client();
            let bad = client.post(app.url("/api/v1/plans")).bearer_auth(&token)
                .json(&serde_json::json!({"name": "Police and Crime Plan 2022–2025", "first_year": "2022/23", "last_year": "2022", "priorities": [{"name": "Reducing and preventing violence", "objectives": []}]}))
                .send().await.unwrap();
            assert_eq!(bad.status(), 422);
            let body: serde_json::Value = bad.json().await.unwrap();
            let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
            assert_eq!(fields, ["last_year", "priorities[0].objectives"]);
            let r = client.post(app.url("/api/v1/plans")).bearer_auth(&token)
                .json(&serde_json::json!({"name": "Police and Crime Plan 2022–2025", "first_year": "2022/23", "last_year": "2024/25",
                    "priorities": [{"name": "Reducing and preventing violence", "guidance": ["Cannot fund MPS or buy police officers."], "objectives": ["Reduce violence against the person"]},
                                   {"name": "Protecting people from exploitation and harm", "objectives": ["Protect children and young people"]}]}))
                .send().await.unwrap();
            assert_eq!(r.status(), 201);
            let plan: serde_json::Value = r.json().await.unwrap();
            let detail: serde_json::Value = client.get(app.url(&format!("/api/v1/plans/{}", plan["id"]))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            assert_eq!(detail["priorities"].as_array().unwrap().len(), 2);
            assert_eq!(detail["priorities"][0]["guidance"][0], "Cannot fund MPS or buy police officers.");
            let (browser, _) = app.signed_in(VIEWER).await;
            let page = browser.get(app.url(&format!("/plans/{}", plan["id"]))).send().await.unwrap().text().await.unwrap();
            assert!(page.contains("Protecting people from exploitation and harm"));
        }
    }
}

/// Whether `value` has the shape `schema` (OpenAPI 3.1, as utoipa writes it) describes:
/// every field declared, every required field present, types as said. Problems are pushed
/// with the JSON path where they are.
fn conforms(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
    problems: &mut Vec<String>,
) {
    use serde_json::Value;
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            problems.push(format!("{at}: no schema {name}"));
        } else {
            conforms(doc, target, value, at, problems);
        }
        return;
    }
    if let Some(options) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let fits = options.iter().any(|o| {
            let mut p = Vec::new();
            conforms(doc, o, value, at, &mut p);
            p.is_empty()
        });
        if !fits {
            problems.push(format!(
                "{at}: {value} fits none of {}",
                Value::Array(options.clone())
            ));
        }
        return;
    }
    if let Some(parts) = schema["allOf"].as_array() {
        // A flattened struct: its properties are the parts' together.
        let mut merged = serde_json::json!({"type": "object", "properties": {}, "required": []});
        for part in parts {
            let part = match part["$ref"].as_str() {
                Some(r) => {
                    &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")]
                }
                None => part,
            };
            if let Some(props) = part["properties"].as_object() {
                merged["properties"]
                    .as_object_mut()
                    .unwrap()
                    .extend(props.clone());
            }
            if let Some(req) = part["required"].as_array() {
                merged["required"]
                    .as_array_mut()
                    .unwrap()
                    .extend(req.clone());
            }
        }
        conforms(doc, &merged, value, at, problems);
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return, // no type: anything (e.g. a GeoJSON geometry)
    };
    let actual = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !types
        .iter()
        .any(|t| *t == actual || (*t == "number" && actual == "integer"))
    {
        problems.push(format!(
            "{at}: is {actual}, the document says {}",
            types.join(" or ")
        ));
        return;
    }
    match value {
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    conforms(doc, item, v, &format!("{at}[{i}]"), problems);
                }
            }
        }
        Value::Object(fields) => {
            let declared = schema["properties"].as_object();
            if let Some(declared) = declared {
                for (name, v) in fields {
                    match declared.get(name) {
                        Some(s) => conforms(doc, s, v, &format!("{at}.{name}"), problems),
                        None if schema["additionalProperties"].is_object() => {}
                        None => problems.push(format!("{at}.{name}: not in the document")),
                    }
                }
            } else if let Some(extra) = schema.get("additionalProperties").filter(|a| a.is_object())
            {
                for (name, v) in fields {
                    conforms(doc, extra, v, &format!("{at}.{name}"), problems);
                }
            }
            for name in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !fields.contains_key(name) {
                    problems.push(format!("{at}.{name}: required by the document, missing"));
                }
            }
        }
        _ => {}
    }
}
