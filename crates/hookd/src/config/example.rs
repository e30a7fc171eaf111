//! `docs/hookd.example.toml`, generated from the settings' one declaration and held to it: every
//! setting in the README's order, its README meaning as the comment above it, and its default
//! as the value (a setting with no default is shown commented out, with an example value). The
//! file must load and change nothing. `HOOKD_UPDATE_EXAMPLE=1` rewrites it after a change.
// figment's `Jail` fixes the closure's error type; its size is not ours to choose.
#![allow(clippy::result_large_err)]

use std::path::Path;

use super::{
    ties::{README, TIES},
    FlagOverrides, Settings,
};

/// Where the example lives, from this crate.
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/hookd.example.toml");

/// Comment lines are wrapped at this width, as the repository's prose is.
const WIDTH: usize = 96;

/// Each setting's meaning, from the README's configuration table, in the table's order.
fn meanings() -> Vec<(String, String)> {
    let section = README.split("\n## Configuration\n").nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line[1..].splitn(4, '|').map(str::trim).collect();
            let key = cells[0].split(" / ").next().unwrap().trim_matches('`');
            let meaning = cells[3].trim_end_matches('|').trim();
            (key.to_owned(), plain(meaning))
        })
        .collect()
}

/// Markdown links as their text, for a comment.
fn plain(markdown: &str) -> String {
    let mut out = String::new();
    let mut rest = markdown;
    while let Some(open) = rest.find('[') {
        // A link is `[text](target)`: its text's `]` is followed by `(` at once.
        let link = rest[open..]
            .find(']')
            .map(|i| open + i)
            .filter(|close| rest[*close..].starts_with("]("));
        let end = link.and_then(|close| rest[close..].find(')').map(|i| close + i));
        let (Some(close), Some(end)) = (link, end) else {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `text` as `# ` comment lines of at most [`WIDTH`] characters.
fn comment(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > WIDTH && line != "#" {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// A JSON value (a default, as the settings serialize) as TOML.
fn toml_value(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::Array(items) => Some(format!(
            "[{}]",
            items
                .iter()
                .filter_map(toml_value)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        // JSON's string and number syntax is TOML's for these values.
        other => Some(other.to_string()),
    }
}

/// An example value for a setting without a default, as TOML, from the ties' variable value.
fn example_value(key: &str) -> String {
    if key == "encryption_key" {
        // Never a usable key in a file people copy: the value must be their own.
        return "\"<base64 of 32 random bytes: openssl rand -base64 32>\"".to_owned();
    }
    let tie = TIES.iter().find(|t| t.key == key).unwrap();
    match tie.value.parse::<f64>() {
        Ok(_) => tie.value.to_owned(),
        Err(_) => serde_json::Value::String(tie.value.to_owned()).to_string(),
    }
}

fn generate() -> String {
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    let mut out = String::from(
        "# hookd's settings, each at its default (generated from the code's declaration of them;\n\
         # the README's Configuration section says the same). Pass the file with `--config FILE` or\n\
         # HOOKD_CONFIG; an HOOKD_* variable overrides a key, a flag overrides both. Keys left out\n\
         # keep their default, so a real file needs only the keys it changes.\n",
    );
    for (key, meaning) in meanings() {
        out.push('\n');
        out.push_str(&comment(&meaning));
        match toml_value(&defaults[&key]) {
            Some(value) => out.push_str(&format!("{key} = {value}\n")),
            None => out.push_str(&format!("# {key} = {}\n", example_value(&key))),
        }
    }
    out
}

#[test]
fn the_example_config_is_generated_from_the_settings() {
    let generated = generate();
    if std::env::var_os("HOOKD_UPDATE_EXAMPLE").is_some() {
        std::fs::write(EXAMPLE, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(EXAMPLE).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/hookd.example.toml is out of date: run with HOOKD_UPDATE_EXAMPLE=1 \
         (cargo nextest run -p hookd -E 'test(the_example_config)')"
    );
}

#[test]
fn the_example_config_loads_and_changes_nothing() {
    let path = Path::new(EXAMPLE).canonicalize().unwrap();
    figment::Jail::expect_with(|_| {
        let loaded = Settings::load(Some(path.clone()), &FlagOverrides::default())
            .map_err(|e| format!("{e:#}"))?;
        assert_eq!(loaded, Settings::default());
        loaded.server_config().map_err(|e| format!("{e:#}"))?;
        Ok(())
    });
}

#[test]
fn links_become_their_text_and_brackets_stay() {
    assert_eq!(
        plain("a `[table]` or [the doc](docs/x.md) (see [B](#b))"),
        "a `[table]` or the doc (see B)"
    );
}

#[test]
fn every_setting_is_in_the_example() {
    let example = generate();
    for key in Settings::keys().unwrap() {
        assert!(
            example.contains(&format!("\n{key} = ")) || example.contains(&format!("\n# {key} = ")),
            "{key} is missing from the example"
        );
    }
}
