//! Tests of the `hookd` binary as a user runs it, plus the repository's tidy checks. Built as
//! one test binary to save link time.

mod cli;
mod cluster;
mod disk;
mod drills;
mod faults;
mod import;
mod logs;
mod packaging;
mod prometheus;
mod readme;
mod tidy;
