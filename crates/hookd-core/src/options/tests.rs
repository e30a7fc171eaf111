//! The options' tests: validation messages and where they point, secrets kept and redacted.

use super::*;

#[test]
fn auth_schemes_refuse_fields_they_do_not_have() {
    let parse = |s: &str| serde_json::from_str::<AuthScheme>(s);
    assert!(parse(r#"{"type":"staticHeader","header":"X-A","value":"v"}"#).is_ok());
    assert!(parse(r#"{"type":"staticHeader","header":"X-A","valeu":"v"}"#).is_err());
    // serde lets a unit variant (`standardWebhooks`) through with extra fields; the API
    // refuses those itself (hookd-server's `api::options`).
    assert!(parse(r#"{"type":"standardWebhooks"}"#).is_ok());
}

fn options(json: &str) -> EndpointOptions {
    serde_json::from_str(json).unwrap()
}

#[test]
fn defaults_are_svix() {
    let o = EndpointOptions::default();
    assert!(o.is_default());
    assert!(o.signs_standard_webhooks());
    assert!(o.is_success(201));
    assert!(!o.is_success(301));
    assert_eq!(o.content_type(), Some("application/json"));
    assert_eq!(o.timeout(Duration::from_secs(15)), Duration::from_secs(15));
    assert_eq!(serde_json::to_string(&o).unwrap(), "{}");
    assert_eq!(o.validate(&["options"], "https://x.example/"), vec![]);
}

#[test]
fn postpress_rules() {
    let o = options(
        r#"{"timeoutMs":30000,"successStatusCodes":[200],"contentType":"application/json",
            "auth":[{"type":"staticHeader","header":"Postpress-Auth","value":"yoursecretkey"}]}"#,
    );
    assert_eq!(o.validate(&["options"], "https://x.example/"), vec![]);
    assert!(o.is_success(200));
    assert!(!o.is_success(201), "postpress: only exactly 200 counts");
    assert!(!o.signs_standard_webhooks());
    assert_eq!(o.auth_headers(), vec![("Postpress-Auth", "yoursecretkey")]);
    let shown = serde_json::to_string(&o.redacted()).unwrap();
    assert!(!shown.contains("yoursecretkey"), "{shown}");
    // An update that sends the redacted form back keeps the secret.
    let mut update = o.redacted();
    update.keep_secrets_from(&o);
    assert_eq!(update, o);
    let none: EndpointOptions = options(r#"{"contentType":""}"#);
    assert_eq!(none.content_type(), None);
}

#[test]
fn query_secrets_are_kept_exact_and_shown_redacted() {
    let o = options(r#"{"auth":[{"type":"querySecret","param":"secret"}]}"#);
    let url = "https://c.example/hook?v=2&secret=s3cr%2Ft+k%3D&x#frag";
    assert_eq!(o.validate(&["options"], url), vec![]);
    assert_eq!(
        o.display_url(url),
        "https://c.example/hook?v=2&secret=REDACTED&x#frag"
    );
    assert_eq!(
        o.restore_url_secrets("https://c.example/hook?v=3&secret=REDACTED", url),
        "https://c.example/hook?v=3&secret=s3cr%2Ft+k%3D"
    );
    assert_eq!(
        o.restore_url_secrets("https://c.example/hook?secret=new", url),
        "https://c.example/hook?secret=new"
    );
    let v = o.validate(&["body", "options"], "https://c.example/hook");
    assert_eq!(v[0].loc, vec!["body", "options", "auth", "0", "param"]);
}

#[test]
fn bad_options_name_their_field() {
    let cases = [
        (r#"{"timeoutMs":99}"#, vec!["o", "timeoutMs"]),
        (r#"{"timeoutMs":60001}"#, vec!["o", "timeoutMs"]),
        (
            r#"{"successStatusCodes":[]}"#,
            vec!["o", "successStatusCodes"],
        ),
        (
            r#"{"successStatusCodes":[200,99]}"#,
            vec!["o", "successStatusCodes", "1"],
        ),
        (
            r#"{"auth":[{"type":"staticHeader","header":"X-A"}]}"#,
            vec!["o", "auth", "0", "value"],
        ),
        (
            r#"{"auth":[{"type":"staticHeader","header":"webhook-x","value":"v"}]}"#,
            vec!["o", "auth", "0", "header"],
        ),
        (
            r#"{"auth":[{"type":"signingToken","header":"X-A","token":"a"},{"type":"staticHeader","header":"x-a","value":"b"}]}"#,
            vec!["o", "auth", "1", "header"],
        ),
        (
            r#"{"auth":[{"type":"staticHeader","header":"Content-Type","value":"v"}]}"#,
            vec!["o", "auth", "0", "header"],
        ),
        (r#"{"contentType":"a\u0001b"}"#, vec!["o", "contentType"]),
        (
            r#"{"retryPolicy":{"type":"fixed","baseSecs":5}}"#,
            vec!["o", "retryPolicy", "maxAttempts"],
        ),
        (
            r#"{"envelope":{"template":{"x":"{{ nope }}"}}}"#,
            vec!["o", "envelope", "template", "x"],
        ),
    ];
    for (json, loc) in cases {
        let v = options(json).validate(&["o"], "https://x.example/");
        assert!(
            v.iter().any(|v| v.loc == loc),
            "{json}: expected {loc:?}, got {v:?}"
        );
    }
}

#[test]
fn signing_tokens_fill_and_hide() {
    let mut o = options(r#"{"auth":[{"type":"signingToken","header":"Postscript-Signature"}]}"#);
    assert_eq!(o.missing_signing_tokens(), vec!["Postscript-Signature"]);
    assert!(!o.validate(&["o"], "https://x.example/").is_empty());
    o.set_signing_token("postscript-signature", "tok");
    assert_eq!(o.signing_token(), Some(("Postscript-Signature", "tok")));
    assert_eq!(o.validate(&["o"], "https://x.example/"), vec![]);
    assert!(!serde_json::to_string(&o.redacted())
        .unwrap()
        .contains("tok\""));
}
