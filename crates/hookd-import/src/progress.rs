//! Showing an import's progress: a bar redrawn in place when the output is a terminal, plain
//! lines (one per step, readable in a log or CI output) otherwise.
//!
//! This module only draws what it is told: it must not know what is being imported.

use std::io::{IsTerminal, Write};

/// The width of the bar in characters: fits an 80-column terminal beside its counts.
const BAR_WIDTH: usize = 30;

/// The longest detail shown after the bar before it is cut, so one redraw stays on one line.
const DETAIL_WIDTH: usize = 30;

/// What an import tells whoever watches it.
pub trait Progress: Send {
    /// A phase begins; `total` is the number of steps when known.
    fn phase(&mut self, name: &str, total: Option<u64>);
    /// One step of the current phase is done; `detail` names it.
    fn step(&mut self, detail: &str);
    /// The current phase is over.
    fn finish(&mut self);
}

/// Draws on stderr: a bar on a terminal, lines otherwise.
pub fn to_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar::new(std::io::stderr()))
    } else {
        Box::new(Lines::new(std::io::stderr()))
    }
}

/// Shows nothing (for callers that only want the report).
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn phase(&mut self, _: &str, _: Option<u64>) {}
    fn step(&mut self, _: &str) {}
    fn finish(&mut self) {}
}

#[derive(Debug, Default)]
struct State {
    name: String,
    total: Option<u64>,
    done: u64,
}

impl State {
    /// `3/40`, or `3` without a total, or nothing before the first step of a phase without
    /// a total (a phase that only waits, such as reading a list).
    fn counter(&self) -> String {
        match self.total {
            Some(total) => format!("{}/{total}", self.done),
            None if self.done == 0 => String::new(),
            None => self.done.to_string(),
        }
    }
}

/// One line per step: `applications 3/40 app_…`.
#[derive(Debug)]
pub struct Lines<W> {
    out: W,
    state: State,
}

impl<W: Write> Lines<W> {
    /// Lines written to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            state: State::default(),
        }
    }

    /// The writer back (tests read what was written).
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write + Send> Progress for Lines<W> {
    fn phase(&mut self, name: &str, total: Option<u64>) {
        self.state = State {
            name: name.to_owned(),
            total,
            done: 0,
        };
        // Progress is best effort: a closed stderr must not fail the import.
        let _ = match total {
            Some(total) => writeln!(self.out, "{name}: {total} to import"),
            None => writeln!(self.out, "{name}…"),
        };
    }

    fn step(&mut self, detail: &str) {
        self.state.done += 1;
        let _ = writeln!(
            self.out,
            "{} {} {detail}",
            self.state.name,
            self.state.counter()
        );
    }

    fn finish(&mut self) {
        let _ = writeln!(self.out, "{}: done", self.state.name);
    }
}

/// A bar redrawn in place on one terminal line.
#[derive(Debug)]
pub struct Bar<W> {
    out: W,
    state: State,
}

impl<W: Write> Bar<W> {
    /// A bar drawn on `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            state: State::default(),
        }
    }

    fn draw(&mut self, detail: &str) {
        let s = &self.state;
        let bar = match s.total {
            Some(total) if total > 0 => {
                let filled = (s.done.min(total) as usize * BAR_WIDTH) / total as usize;
                format!(
                    "[{}{}] ",
                    "#".repeat(filled),
                    "-".repeat(BAR_WIDTH - filled)
                )
            }
            _ => String::new(),
        };
        let detail: String = detail.chars().take(DETAIL_WIDTH).collect();
        // `\r` returns to the line's start and `ESC[2K` clears it, so a shorter redraw leaves
        // nothing of the longer one behind.
        let _ = write!(
            self.out,
            "\r\x1b[2K{} {bar}{} {detail}",
            s.name,
            s.counter()
        );
        let _ = self.out.flush();
    }
}

impl<W: Write + Send> Progress for Bar<W> {
    fn phase(&mut self, name: &str, total: Option<u64>) {
        self.state = State {
            name: name.to_owned(),
            total,
            done: 0,
        };
        self.draw("");
    }

    fn step(&mut self, detail: &str) {
        self.state.done += 1;
        self.draw(detail);
    }

    fn finish(&mut self) {
        self.draw("done");
        let _ = writeln!(self.out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_each_step() {
        let mut p = Lines::new(Vec::new());
        p.phase("applications", Some(2));
        p.step("app_1");
        p.step("app_2");
        p.finish();
        let text = String::from_utf8(p.into_inner()).unwrap();
        assert_eq!(
            text,
            "applications: 2 to import\napplications 1/2 app_1\napplications 2/2 app_2\n\
             applications: done\n"
        );
    }

    #[test]
    fn bar_fills_in_place() {
        let mut p = Bar::new(Vec::new());
        p.phase("applications", Some(2));
        p.step("app_1");
        let text = String::from_utf8(p.out.clone()).unwrap();
        let last = text.rsplit('\r').next().unwrap();
        assert_eq!(
            last,
            format!(
                "\x1b[2Kapplications [{}{}] 1/2 app_1",
                "#".repeat(15),
                "-".repeat(15)
            )
        );
        assert!(!text.contains('\n'), "a bar stays on its line");
    }
}
