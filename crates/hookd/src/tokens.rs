//! `hookd token create|list|revoke`: admin tokens managed from the machine hookd runs on, for
//! the first token, for a lost one, and for scripts. The same tokens as the admin API's
//! (`/api/v1/hookd/token`); this module only talks to the store and prints. It must never
//! print a token's text except the one it just minted.

use std::time::Duration;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use hookd_core::{
    clock::Clock,
    id::TokenId,
    model::{Token, TokenScope},
    portal::PortalScope,
    store::Directory,
    token,
};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Everything.
    Admin,
    /// Read everything, change nothing (an operator's dashboard, monitoring).
    Operator,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint a new admin token and print it as the last line of stdout.
    Create {
        /// A note for operators on what the token is for.
        #[arg(long, default_value = "created with hookd token create")]
        name: String,
        /// What the token may do.
        #[arg(long, value_enum, default_value_t = Role::Admin)]
        role: Role,
        /// How long it works, e.g. 90d, 12h, 30m; for ever when absent.
        #[arg(long, value_parser = parse_duration)]
        expires_in: Option<Duration>,
    },
    /// List the admin tokens: id, role, expiry and name (never their text).
    List,
    /// Revoke a token (admin or application) given its text or, for an admin token, its id;
    /// running servers stop accepting it within a second (their lookup caches).
    Revoke {
        /// The token's text, as it was printed when minted, or its `tok_…` id.
        token: String,
    },
}

/// `90d`, `12h`, `30m`, `45s`: a whole number and a unit.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (digits, unit) = text.split_at(text.len().saturating_sub(1));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 90d, 12h, 30m or 45s"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{text:?}: the unit is s, m, h or d")),
    };
    if secs == 0 {
        return Err("a token that expires at once is no token".into());
    }
    Ok(Duration::from_secs(secs))
}

/// Mints an admin token. With `only_if_none`, it is stored only when no admin token exists yet
/// (first start), atomically, and `None` is returned otherwise.
pub async fn mint(
    store: &dyn Directory,
    clock: &dyn Clock,
    name: &str,
    role: Role,
    expires_in: Option<Duration>,
    only_if_none: bool,
) -> anyhow::Result<Option<String>> {
    let now = clock.now();
    let text = token::generate_text(token::ADMIN_TOKEN_PREFIX, &mut rand::thread_rng());
    let expires_at = expires_in
        .map(|d| chrono::Duration::from_std(d).map(|d| now + d))
        .transpose()
        .context("that expiry is too far away")?;
    let record = Token {
        id: TokenId::generate(now, &mut rand::thread_rng()),
        hash: token::hash_text(&text),
        scope: TokenScope::Admin,
        name: name.to_owned(),
        created_at: now,
        expires_at,
        portal: PortalScope {
            read_only: role == Role::Operator,
            ..PortalScope::default()
        },
    };
    if only_if_none {
        Ok(store
            .insert_admin_token_if_none(&record)
            .await?
            .then_some(text))
    } else {
        store.insert_token(&record).await?;
        Ok(Some(text))
    }
}

/// Runs one `hookd token` command on `store`.
pub async fn run(
    command: TokenCommand,
    store: &dyn Directory,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            name,
            role,
            expires_in,
        } => {
            let text = mint(store, clock, &name, role, expires_in, false).await?;
            println!(
                "{}",
                text.context("minting without the if-none guard always mints")?
            );
        }
        TokenCommand::List => {
            let now = clock.now();
            println!("{:<28} {:<9} {:<26} NAME", "ID", "ROLE", "EXPIRES");
            for t in store.list_admin_tokens().await? {
                let role = if t.is_operator() { "operator" } else { "admin" };
                let expires = match t.expires_at {
                    None => "never".to_owned(),
                    Some(at) if at <= now => format!("expired {}", at.format("%Y-%m-%d %H:%M")),
                    Some(at) => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                };
                println!("{:<28} {role:<9} {expires:<26} {}", t.id, t.name);
            }
        }
        TokenCommand::Revoke { token: given } => {
            let given = given.trim();
            let found = if given.starts_with("tok_") {
                store
                    .list_admin_tokens()
                    .await?
                    .into_iter()
                    .find(|t| t.id.as_str() == given)
            } else {
                store.token_by_hash(&token::hash_text(given)).await?
            };
            let token = found.context("no such token (already revoked, or never minted here)")?;
            store.delete_token(&token.id).await?;
            println!("revoked token {} ({})", token.id, token.name);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_number_and_a_unit() {
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("0d").is_err());
        assert!(parse_duration("12").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("1w").is_err());
    }
}
