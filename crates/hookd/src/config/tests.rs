//! The layering and checking of settings, one behaviour a test: which layer wins, how lists,
//! retry policies, limits, keys and signature types read from the environment or the file,
//! and that what is refused is named without repeating secrets.
// figment's `Jail` fixes the closure's error type; its size is not ours to choose.
#![allow(clippy::result_large_err)]

use std::{path::PathBuf, time::Duration};

use hookd_core::signing::SignatureType;

use super::{server::DAY_SECS, FlagOverrides, Settings};

#[test]
fn layers_apply_in_order() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("hookd.toml", "listen = \"127.0.0.1:9000\"\ndata_dir = \"/from-file\"\nallowed_networks = [\"10.0.0.0/8\"]\n")?;
        jail.set_env("HOOKD_DATA_DIR", "/from-env");
        let flags = FlagOverrides {
            listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..Default::default()
        };
        let s = Settings::load(Some("hookd.toml".into()), &flags).map_err(|e| e.to_string())?;
        assert_eq!(s.data_dir, PathBuf::from("/from-env"), "env beats file");
        assert_eq!(s.listen.port(), 9100, "flags beat everything");
        assert_eq!(s.server_config().unwrap().allowed_networks.len(), 1);
        assert_eq!(s.request_timeout_secs, 15, "defaults fill the rest");
        Ok(())
    });
}

#[test]
fn portal_frame_ancestors_are_origins_from_env_or_file() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "HOOKD_PORTAL_FRAME_ANCESTORS",
            "https://vendor.example, https://*.vendor.example",
        );
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        assert_eq!(
            s.server_config().unwrap().portal_frame_ancestors,
            vec!["https://vendor.example", "https://*.vendor.example"]
        );
        jail.set_env(
            "HOOKD_PORTAL_FRAME_ANCESTORS",
            "https://a.example; script-src *",
        );
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        assert!(s.server_config().is_err());
        Ok(())
    });
    let s = Settings::default();
    assert!(s.server_config().unwrap().portal_frame_ancestors.is_empty());
}

#[test]
fn default_retry_policy_from_env_json_or_file_table() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "HOOKD_DEFAULT_RETRY_POLICY",
            r#"{"type":"fixed","baseSecs":300,"maxAttempts":13,"jitter":0}"#,
        );
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        let policy = s.server_config().unwrap().default_retry_policy;
        assert_eq!(policy.max_attempts(), 13);
        jail.set_env("HOOKD_DEFAULT_RETRY_POLICY", r#"{"type":"fixed"}"#);
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        let err = s.server_config().unwrap_err().to_string();
        assert!(err.contains("default_retry_policy"), "{err}");
        Ok(())
    });
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "hookd.toml",
            "[default_retry_policy]\ntype = \"delays\"\ndelaysSecs = [60, 120]\n",
        )?;
        let s = Settings::load(Some("hookd.toml".into()), &FlagOverrides::default())
            .map_err(|e| e.to_string())?;
        assert_eq!(
            s.server_config()
                .unwrap()
                .default_retry_policy
                .max_attempts(),
            3
        );
        Ok(())
    });
}

#[test]
fn reliability_settings_from_env_with_svix_defaults() {
    let defaults = Settings::default().server_config().unwrap();
    assert_eq!(
        defaults.endpoint_failure_disable_after,
        Some(Duration::from_secs(5 * DAY_SECS)),
        "Svix disables after five days"
    );
    assert_eq!(
        defaults.payload_retention,
        Duration::from_secs(90 * DAY_SECS)
    );
    assert_eq!(
        defaults.attempt_retention,
        Duration::from_secs(90 * DAY_SECS)
    );
    assert_eq!(defaults.outbound_proxy, None);
    figment::Jail::expect_with(|jail| {
        jail.set_env("HOOKD_ENDPOINT_FAILURE_DISABLE_AFTER_SECS", "0");
        jail.set_env("HOOKD_PAYLOAD_RETENTION_DAYS", "30");
        jail.set_env("HOOKD_ATTEMPT_RETENTION_DAYS", "7");
        jail.set_env("HOOKD_OUTBOUND_PROXY", "http://user:pw@proxy.internal:3128");
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        let c = s.server_config().unwrap();
        assert_eq!(c.endpoint_failure_disable_after, None, "0 never disables");
        assert_eq!(c.payload_retention, Duration::from_secs(30 * DAY_SECS));
        assert_eq!(c.attempt_retention, Duration::from_secs(7 * DAY_SECS));
        assert_eq!(
            c.outbound_proxy.unwrap().as_str(),
            "http://user:pw@proxy.internal:3128/"
        );
        jail.set_env("HOOKD_OUTBOUND_PROXY", "socks5://secret@proxy:1080");
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        let err = format!("{:#}", s.server_config().unwrap_err());
        assert!(!err.contains("secret"), "the value is not echoed: {err}");
        jail.set_env("HOOKD_OUTBOUND_PROXY", "");
        jail.set_env("HOOKD_ATTEMPT_RETENTION_DAYS", "0");
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        assert!(s.server_config().is_err());
        Ok(())
    });
}

#[test]
fn limits_grace_and_keys_from_env() {
    let defaults = Settings::default().server_config().unwrap();
    assert!(
        defaults.api_rate_limit_per_token.is_none(),
        "off by default"
    );
    assert!(defaults.auth_failures_per_minute.is_some(), "on by default");
    assert!(
        Settings::default().sealer().unwrap().is_none(),
        "off by default"
    );
    figment::Jail::expect_with(|jail| {
        jail.set_env("HOOKD_API_RATE_LIMIT_PER_TOKEN", "25");
        jail.set_env("HOOKD_API_RATE_LIMIT_PER_APP", "50");
        jail.set_env("HOOKD_AUTH_FAILURES_PER_MINUTE", "5");
        jail.set_env("HOOKD_SHUTDOWN_GRACE_SECS", "3");
        jail.set_env(
            "HOOKD_ENCRYPTION_KEY",
            "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=,AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        );
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        let c = s.server_config().unwrap();
        assert_eq!(c.api_rate_limit_per_token.unwrap().per_second_rate(), 25);
        assert_eq!(c.api_rate_limit_per_app.unwrap().per_second_rate(), 50);
        assert_eq!(c.auth_failures_per_minute.unwrap().get(), 5);
        assert_eq!(c.shutdown_grace, Duration::from_secs(3));
        assert!(s.sealer().unwrap().is_some());
        assert!(
            !format!("{s:?}").contains("HxwdHhsa"),
            "keys stay out of Debug"
        );
        jail.set_env("HOOKD_ENCRYPTION_KEY", "c2VjcmV0LWJ1dC1zaG9ydA==");
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        let err = format!("{:#}", s.sealer().unwrap_err());
        assert!(
            err.contains("32 bytes") && !err.contains("c2VjcmV0"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn default_signature_type_from_env_in_either_spelling() {
    assert_eq!(
        Settings::default()
            .server_config()
            .unwrap()
            .default_signature_type,
        SignatureType::Hmac,
        "HMAC by default, as in Svix"
    );
    figment::Jail::expect_with(|jail| {
        jail.set_env("HOOKD_DEFAULT_SIGNATURE_TYPE", "ed25519");
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        assert_eq!(
            s.server_config().unwrap().default_signature_type,
            SignatureType::Ed25519
        );
        jail.set_env("HOOKD_DEFAULT_SIGNATURE_TYPE", "hmac256");
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        assert_eq!(s.default_signature_type, SignatureType::Hmac);
        jail.set_env("HOOKD_DEFAULT_SIGNATURE_TYPE", "rsa");
        let err = Settings::load(None, &FlagOverrides::default()).unwrap_err();
        // figment names the variable, and the spellings it would have taken.
        let text = format!("{err:#}");
        assert!(
            text.contains("DEFAULT_SIGNATURE_TYPE") && text.contains("ed25519"),
            "{text}"
        );
        Ok(())
    });
}

#[test]
fn comma_separated_networks_from_env() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("HOOKD_ALLOWED_NETWORKS", "127.0.0.0/8, ::1/128");
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        assert_eq!(s.server_config().unwrap().allowed_networks.len(), 2);
        jail.set_env("HOOKD_ALLOWED_NETWORKS", "not-a-cidr");
        let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
        assert!(s.server_config().is_err());
        Ok(())
    });
}
