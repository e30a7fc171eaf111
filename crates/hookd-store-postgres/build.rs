//! Rebuilds the crate when a migration changes: `sqlx::migrate!` embeds `migrations/` at
//! compile time, and without this hint cargo would not notice a new or edited migration file.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
