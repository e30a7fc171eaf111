//! A local webhook receiver on a std `TcpListener`: it reads each HTTP/1.1 request (headers
//! and a `content-length` body), answers 500 on the paths marked failing and 200 elsewhere,
//! and queues what arrived for the flow. It must not verify anything (see `verify`) and needs
//! no HTTP library: hookd's requests are plain HTTP/1.1 POSTs with a length.

use std::{
    collections::{BTreeMap, HashSet},
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{
        mpsc::{channel, Receiver as Queue, Sender},
        Arc, Mutex,
    },
    thread,
    time::Duration,
};

/// How long a webhook may take to arrive. Generous: CI machines are slow, and a missing
/// webhook is a failure either way.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// One request as it arrived: its path, its headers (names lower case) and its body.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

pub struct Receiver {
    pub base: String,
    failing: Arc<Mutex<HashSet<String>>>,
    queue: Queue<Hit>,
}

impl Receiver {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let failing = Arc::new(Mutex::new(HashSet::new()));
        let (tx, queue) = channel();
        let marks = failing.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (tx, marks) = (tx.clone(), marks.clone());
                thread::spawn(move || serve(stream, &tx, &marks));
            }
        });
        Self {
            base,
            failing,
            queue,
        }
    }

    /// Makes `path` answer 500 (or 200 again).
    pub fn set_failing(&self, path: &str, failing: bool) {
        let mut marks = self.failing.lock().expect("the lock is never poisoned");
        if failing {
            marks.insert(path.to_owned());
        } else {
            marks.remove(path);
        }
    }

    /// The next request, or an error once the deadline passes.
    pub fn next(&self) -> Result<Hit, String> {
        self.queue
            .recv_timeout(DEADLINE)
            .map_err(|_| "no webhook arrived".to_owned())
    }
}

fn serve(stream: TcpStream, tx: &Sender<Hit>, failing: &Mutex<HashSet<String>>) {
    let mut reader = BufReader::new(stream);
    // hookd may keep the connection for further requests: serve them in turn.
    while let Some(hit) = read_request(&mut reader) {
        let fail = failing
            .lock()
            .expect("the lock is never poisoned")
            .contains(&hit.path);
        let status = if fail {
            "500 Internal Server Error"
        } else {
            "200 OK"
        };
        let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nok");
        if reader.get_mut().write_all(answer.as_bytes()).is_err() {
            return;
        }
        let _ = tx.send(hit);
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Hit> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = BTreeMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Hit {
        path,
        headers,
        body,
    })
}

/// A plain HTTP/1.1 request to hookd for what no Svix SDK can send (hookd's `options`):
/// answers the status and the body.
pub fn raw_request(
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(DEADLINE)).ok();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status line")?;
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}
