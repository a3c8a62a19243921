//! Mutation fuzzing of the front end: apps from the golden corpus and `tests/apps/`
//! are cut, spliced, duplicated, sprinkled with tokens of the language and with
//! long flat chains of operators or pattern steps, then parsed, analysed and
//! printed on a 2 MiB stack (a tokio or timely worker's); nothing may panic or
//! overflow, and a refused app carries located errors.
//!
//! `cargo test -p sluice-frontend --test fuzz` runs it for 3 seconds;
//! `SLUICE_FUZZ_SECS=600 cargo test --release -p sluice-frontend --test fuzz -- --nocapture`
//! runs it for ten minutes.

use std::path::Path;
use std::time::{Duration, Instant};

/// Tiny deterministic PRNG (xorshift64*), so runs are reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "define stream ",
    "from ",
    " select ",
    " insert into ",
    "#window.",
    "time(1 sec)",
    "length(",
    "[",
    "]",
    "(",
    ")",
    ",",
    ";",
    "->",
    "every ",
    "not ",
    " for ",
    " within ",
    "<2:5>",
    "+",
    "*",
    "?",
    "e1=",
    "e2[last].",
    " join ",
    " on ",
    " as ",
    "@info(name='q')",
    "@app:name('x')",
    "'str'",
    "\"\"\"",
    "10L",
    "1.5f",
    "2e9",
    "-",
    "==",
    "!=",
    " and ",
    " or ",
    " is null",
    " in T",
    "partition with (a of S) begin ",
    " end",
    "CREATE SOURCE S WITH (type='http') ",
    "INSERT INTO ",
    " SELECT ",
    " FROM ",
    " WINDOW SLIDING_TIME(",
    " GROUP BY ",
    " output last every 5 events ",
    " update T set T.a = a on ",
    "{ return 1; }",
    "define function f[javascript] return int ",
    "`",
    "/*",
    "--",
    "\n",
    "\u{e9}",
    "\u{1F600}",
    "...",
];

fn corpus() -> Vec<String> {
    let mut apps = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("../../shared/conformance"), root.join("../tests/apps"), root.join("../examples")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            match p.extension().and_then(|x| x.to_str()) {
                Some("yaml") => {
                    if let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(&text) {
                        if let Some(app) = v.get("app").and_then(|a| a.as_str()) {
                            apps.push(app.to_string());
                        }
                    }
                }
                Some("siddhi") | Some("sql") => apps.push(text),
                _ => {}
            }
        }
    }
    if apps.is_empty() {
        apps.push("define stream S (a int); from S[a > 1] select a insert into O;".to_string());
    }
    apps
}

/// One link of a flat chain: each repetition nests the tree one level deeper.
const LINKS: &[&str] =
    &[" + a", " - 1", " * b", " or a == 1", " and x", " == a", " is null", " in T", " -> e9=S", ", e9=S[a > 1]"];

/// A flat chain of one link repeated: mostly around the depth limits, sometimes
/// thousands of times over them (`tests/deep.rs` tries 100,000).
fn chain(rng: &mut Rng) -> String {
    let n = match rng.below(50) {
        0 => 1_000 + rng.below(10_000),
        _ => 20 + rng.below(60),
    };
    LINKS[rng.below(LINKS.len())].repeat(n)
}

/// Inserts a chain where an expression or a pattern step is likely to end (before
/// `]`, ` as `, ` insert`, ` select`), or anywhere when there is no such place.
fn insert_chain(rng: &mut Rng, text: &mut String) {
    let ends: Vec<usize> = ["]", " as ", " insert", " select"]
        .iter()
        .flat_map(|p| text.match_indices(p).map(|(i, _)| i).collect::<Vec<_>>())
        .collect();
    let at = if ends.is_empty() {
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    } else {
        ends[rng.below(ends.len())]
    };
    let links = chain(rng);
    text.insert_str(at, &links);
}

fn mutate(rng: &mut Rng, apps: &[String]) -> String {
    let mut text = apps[rng.below(apps.len())].clone();
    for _ in 0..1 + rng.below(6) {
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        match rng.below(5) {
            0 => text.insert_str(at, FRAGMENTS[rng.below(FRAGMENTS.len())]),
            1 => {
                let mut end = (at + rng.below(40)).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.replace_range(at..end, "");
            }
            2 => {
                let other = &apps[rng.below(apps.len())];
                let mut from = rng.below(other.len() + 1);
                while !other.is_char_boundary(from) {
                    from -= 1;
                }
                let mut to = (from + rng.below(80)).min(other.len());
                while !other.is_char_boundary(to) {
                    to -= 1;
                }
                text.insert_str(at, &other[from..to]);
            }
            3 => {
                let mut end = (at + rng.below(30)).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                let copy = text[at..end].to_string();
                text.insert_str(end, &copy);
            }
            _ => text.truncate(at),
        }
    }
    if rng.below(8) == 0 {
        insert_chain(rng, &mut text);
    }
    text
}

#[test]
fn parser_never_panics_on_mutated_apps() {
    let secs: u64 = std::env::var("SLUICE_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let seed: u64 = std::env::var("SLUICE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED_1234_ABCD);
    // A worker's stack, whatever RUST_MIN_STACK says: an overflow aborts the run.
    let worker = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(move || fuzz(secs, seed));
    worker.expect("a thread").join().expect("the fuzzer failed");
}

/// Mutates and checks apps for `secs` seconds from `seed`.
fn fuzz(secs: u64, seed: u64) {
    let apps = corpus();
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut runs, mut accepted) = (0u64, 0u64);
    while Instant::now() < deadline {
        for _ in 0..64 {
            let text = mutate(&mut rng, &apps);
            let result = std::panic::catch_unwind(|| {
                let parsed = sluice_frontend::parse(&text);
                // What parses also goes through semantic analysis and the printer
                // in both spellings.
                if let Ok(app) = &parsed {
                    let _ = sluice_frontend::analyze(app);
                    let _ = sluice_frontend::printer::print_app(app);
                    let _ = sluice_frontend::printer::print_app_in(app, sluice_frontend::printer::Spelling::Macrometa);
                }
                parsed
            });
            match result {
                Ok(Ok(_)) => accepted += 1,
                Ok(Err(errors)) => {
                    assert!(!errors.is_empty(), "a refused app must carry at least one error:\n{text}");
                    for e in &errors {
                        assert!(e.span.start <= text.len(), "error span outside the text:\n{text}");
                        let _ = e.render("fuzz", &text);
                    }
                }
                Err(_) => panic!("the front end panicked on:\n{text}"),
            }
            runs += 1;
        }
    }
    println!("fuzz: {runs} mutated apps parsed in {secs} s, {accepted} accepted, no panic");
}
