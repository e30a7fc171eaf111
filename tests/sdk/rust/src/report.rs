//! The flow's bookkeeping: checks counted and printed as they are made (the closing line
//! follows the "N passed, N failed" convention), and small helpers the steps share. It must
//! not talk to hookd.

use svix::error::Error;

#[derive(Default)]
pub struct Report {
    pub passed: u32,
    pub failed: u32,
}

impl Report {
    pub fn check(&mut self, name: &str, condition: bool, detail: impl std::fmt::Debug) {
        if condition {
            self.passed += 1;
            println!("ok   {name}");
        } else {
            self.failed += 1;
            println!("FAIL {name} {detail:?}");
        }
    }
}

/// The HTTP status an SDK call failed with.
pub fn status_of<T>(r: Result<T, Error>) -> Option<u16> {
    match r {
        Ok(_) => None,
        Err(Error::Http(e)) => Some(e.status.as_u16()),
        Err(Error::Validation(e)) => Some(e.status.as_u16()),
        Err(_) => Some(0),
    }
}

pub fn secret_of(tag: &str) -> String {
    use base64::Engine;
    let raw = format!("rust-flow-{tag}-0123456789abcdefghij");
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(&raw.as_bytes()[..32])
    )
}
