//! The browser console served by `sluice serve` at `/`: the real binary on
//! 127.0.0.1 serves the committed `console/dist` files without an API key, while
//! the API behind it still asks for one. (The console's behaviour in a browser is
//! tested by `console/test/console.test.mjs`, run by `.ci/run`.)

mod common;

use common::{serve, Server};

/// Starts `sluice serve --api-key KEY` on a free port and waits until it listens.
fn start(dir: &std::path::Path, key: &str) -> Server {
    let dir = dir.to_str().expect("UTF-8 path");
    serve(&["--listen", "127.0.0.1:0", "--api-key", key, "--data-dir", dir])
}

/// GETs `url` without credentials: status, content type and body.
fn get(url: &str) -> (u16, String, String) {
    match ureq::get(url).call() {
        Ok(r) => (r.status(), r.content_type().to_string(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.content_type().to_string(), r.into_string().unwrap_or_default()),
        Err(e) => panic!("GET {url}: {e}"),
    }
}

fn dist(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../console/dist").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_console_is_served_at_the_root_without_a_key() {
    let dir = std::env::temp_dir().join(format!("sluice-console-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let server = start(&dir, "s3cret");
    let b = &server.base;

    let (status, content_type, page) = get(&format!("{b}/"));
    assert_eq!((status, content_type.as_str()), (200, "text/html"));
    assert!(page == dist("index.html"), "the page is not console/dist/index.html");
    assert!(page.contains(r#"src="/console/console.js""#), "{page}");

    let (status, content_type, script) = get(&format!("{b}/console/console.js"));
    assert_eq!((status, content_type.as_str()), (200, "text/javascript"));
    assert!(script == dist("console.js"), "the script is not console/dist/console.js");
    let (status, content_type, style) = get(&format!("{b}/console/console.css"));
    assert_eq!((status, content_type.as_str()), (200, "text/css"));
    assert!(style == dist("console.css"), "the style sheet is not console/dist/console.css");

    // Only the console's own files are open: any other path, under /console or
    // the API, still needs the key.
    let (status, _, body) = get(&format!("{b}/console/other.js"));
    assert_eq!(status, 401, "{body}");
    assert_eq!(get(&format!("{b}/v1/apps")).0, 401);
    // The console's routes leave other paths' answers alone: with the key, an
    // unknown path is still 404 for any method.
    let posted = ureq::post(&format!("{b}/v1/nowhere")).set("authorization", "Bearer s3cret").send_string("x");
    assert!(matches!(posted, Err(ureq::Error::Status(404, _))), "{posted:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
