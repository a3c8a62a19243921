//! The browser console (`console/` in the repository) served at `/`. Its built
//! files (`console/dist`, committed) are embedded in the binary, so a plain
//! `cargo build` serves them and nothing is fetched from elsewhere. The page and
//! its assets need no API key: the console asks the user for one when the API
//! refuses a request.

use warp::filters::BoxedFilter;
use warp::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use warp::reply::Response;
use warp::{Filter, Reply};

/// One embedded file: its content type and text.
struct Asset {
    content_type: &'static str,
    body: &'static str,
}

const INDEX: Asset =
    Asset { content_type: "text/html; charset=utf-8", body: include_str!("../../../console/dist/index.html") };
const SCRIPT: Asset =
    Asset { content_type: "text/javascript; charset=utf-8", body: include_str!("../../../console/dist/console.js") };
const STYLE: Asset =
    Asset { content_type: "text/css; charset=utf-8", body: include_str!("../../../console/dist/console.css") };

fn reply(asset: &'static Asset) -> Response {
    let mut resp = Response::new(asset.body.into());
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, warp::http::HeaderValue::from_static(asset.content_type));
    // The assets change with the binary: always revalidate.
    headers.insert(CACHE_CONTROL, warp::http::HeaderValue::from_static("no-cache"));
    resp
}

/// `GET /` (the console page), `/console/console.js` and `/console/console.css`.
pub fn routes() -> BoxedFilter<(Response,)> {
    // The path before the method: other paths keep their 404, not a 405 from here.
    let page = warp::path::end().and(warp::get()).map(|| reply(&INDEX));
    let script = warp::path!("console" / "console.js").and(warp::get()).map(|| reply(&SCRIPT));
    let style = warp::path!("console" / "console.css").and(warp::get()).map(|| reply(&STYLE));
    page.or(script).unify().or(style).unify().map(Reply::into_response).boxed()
}
