//! Script functions: `define function f[javascript] return T { … }` run in an
//! embedded JavaScript engine (QuickJS, through `rquickjs`).
//!
//! As in the reference (siddhi-script-js), the body becomes `function f(data)
//! { body }` and a call passes the arguments in the array `data`. Each worker
//! thread keeps one engine per function, made on its first call and reused for
//! every event after. The engine has no filesystem or network (QuickJS's core
//! language only), a memory limit and a time limit per call; an exception, a call
//! over the time limit or a result that does not fit the declared type is an error
//! on that event (`@OnError` decides what happens to it), never a panic.

use crate::value::Value;
use rquickjs::{Array, Context, Ctx, Function, Runtime};
use sluice_frontend::ast::AttrType;
use sluice_frontend::logical::{AppPlan, ScriptFunction};
use sluice_frontend::Diagnostic;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one call may run before it is interrupted.
pub const CALL_TIME_LIMIT: Duration = Duration::from_secs(1);
/// How much memory one function's engine may use on one worker.
pub const MEMORY_LIMIT_BYTES: usize = 64 << 20;

/// Numbers compiled script calls, so that each gets its own engine per thread.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// One function's engine on this thread, with the function defined.
struct Engine {
    /// Dropped after the context (fields drop in order).
    context: Context,
    _runtime: Runtime,
    /// When the running call must stop (checked by QuickJS's interrupt handler).
    deadline: Rc<Cell<Option<Instant>>>,
}

thread_local! {
    static ENGINES: RefCell<HashMap<u64, Engine>> = RefCell::new(HashMap::new());
}

/// A runtime with the limits, and the function defined in a fresh context.
fn engine(function: &ScriptFunction) -> Result<Engine, String> {
    let engine = bare_engine()?;
    engine.context.with(|ctx| {
        let source = format!("function {}(data) {{{}\n}}", function.name, function.body);
        ctx.eval::<(), _>(source).map_err(|e| exception(&ctx, e))
    })?;
    Ok(engine)
}

/// A runtime with the limits and a fresh context.
fn bare_engine() -> Result<Engine, String> {
    let runtime = Runtime::new().map_err(|e| format!("cannot start a JavaScript engine: {e}"))?;
    runtime.set_memory_limit(MEMORY_LIMIT_BYTES);
    let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
    let watched = deadline.clone();
    runtime.set_interrupt_handler(Some(Box::new(move || watched.get().is_some_and(|d| Instant::now() > d))));
    let context = Context::full(&runtime).map_err(|e| format!("cannot start a JavaScript engine: {e}"))?;
    Ok(Engine { context, _runtime: runtime, deadline })
}

/// The message of the exception QuickJS holds (or of `e`).
fn exception(ctx: &Ctx<'_>, e: rquickjs::Error) -> String {
    if !matches!(e, rquickjs::Error::Exception) {
        return e.to_string();
    }
    let thrown = ctx.catch();
    if let Some(ex) = thrown.as_exception() {
        return ex.message().unwrap_or_else(|| "an exception".into());
    }
    match thrown.as_string().and_then(|s| s.to_string().ok()) {
        Some(s) => s,
        None => format!("{thrown:?}"),
    }
}

/// Checks that every script function's body compiles: errors at the definition.
pub fn check(plan: &AppPlan) -> Vec<Diagnostic> {
    plan.catalog
        .functions
        .iter()
        .filter_map(|f| {
            engine(f).err().map(|e| {
                Diagnostic::error(f.span, format!("the JavaScript body of function '{}' does not compile: {e}", f.name))
            })
        })
        .collect()
}

/// The implementation of calls of `function`.
pub fn callable(function: Arc<ScriptFunction>) -> super::ScalarFn {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    Arc::new(move |args: &[Value], _: &super::FnContext| call(id, &function, args))
}

fn call(id: u64, function: &ScriptFunction, args: &[Value]) -> Result<Value, String> {
    let (result, timed_out) = run(
        id,
        || engine(function),
        |ctx| {
            let data = Array::new(ctx.clone()).map_err(|e| e.to_string())?;
            for (i, a) in args.iter().enumerate() {
                data.set(i, to_js(ctx, a)?).map_err(|e| e.to_string())?;
            }
            let f: Function = ctx.globals().get(function.name.as_str()).map_err(|e| exception(ctx, e))?;
            let out: rquickjs::Value = f.call((data,)).map_err(|e| exception(ctx, e))?;
            from_js(ctx, &out, function.return_type)
        },
    )?;
    result.map_err(|e| {
        let e = if timed_out { format!("ran over its {CALL_TIME_LIMIT:?} time limit ({e})") } else { e };
        format!("JavaScript function '{}' failed: {e}", function.name)
    })
}

/// The key of the engine `js:eval` uses on each thread.
const EVAL_ENGINE: u64 = u64::MAX;

/// `js:eval(expression, 'type')`: the type of its result, from the constant
/// second argument (`int`, `long`, `float`, `double`, `bool`, `string`).
pub fn signature(name: &str, args: &[AttrType], consts: &[Option<Value>]) -> Option<Result<AttrType, String>> {
    if name != "js:eval" {
        return None;
    }
    Some((|| {
        super::arity("js:eval", args, 2..=2)?;
        super::arg_is("js:eval", args, 0, &[AttrType::String])?;
        match consts.get(1) {
            Some(Some(Value::String(t))) => eval_type(t),
            _ if consts.is_empty() => Ok(AttrType::Object),
            _ => Err("js:eval()'s return type must be a constant string: 'int', 'long', 'float', 'double', \
                      'bool' or 'string'"
                .into()),
        }
    })())
}

fn eval_type(name: &str) -> Result<AttrType, String> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "int" => AttrType::Int,
        "long" => AttrType::Long,
        "float" => AttrType::Float,
        "double" => AttrType::Double,
        "bool" => AttrType::Bool,
        "string" => AttrType::String,
        other => {
            return Err(format!(
                "js:eval() cannot return '{other}': its return types are int, long, float, double, bool and string"
            ))
        }
    })
}

/// The implementation of `js:eval`.
pub fn lookup(name: &str) -> Option<super::ScalarFn> {
    (name == "js:eval").then(|| super::f(eval))
}

fn eval(args: &[Value], _: &super::FnContext) -> Result<Value, String> {
    let (Some(Value::String(source)), Some(Value::String(ty))) = (args.first(), args.get(1)) else {
        return Ok(Value::Null);
    };
    let ty = eval_type(ty)?;
    let (result, _) = run(EVAL_ENGINE, bare_engine, |ctx| {
        let out: rquickjs::Value = ctx.eval(source.as_bytes().to_vec()).map_err(|e| exception(ctx, e))?;
        from_js(ctx, &out, ty)
    })?;
    result.map_err(|e| format!("js:eval('{source}') failed: {e}"))
}

/// Runs `f` in this thread's engine `id` (made by `make` on first use) under the
/// time limit; the result, and whether the call ran over the limit.
fn run(
    id: u64,
    make: impl FnOnce() -> Result<Engine, String>,
    f: impl for<'js> FnOnce(&Ctx<'js>) -> Result<Value, String>,
) -> Result<(Result<Value, String>, bool), String> {
    ENGINES.with(|engines| {
        let mut engines = engines.borrow_mut();
        let engine = match engines.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(make()?),
        };
        engine.deadline.set(Some(Instant::now() + CALL_TIME_LIMIT));
        let result = engine.context.with(|ctx| f(&ctx));
        let timed_out = engine.deadline.get().is_some_and(|d| Instant::now() > d);
        engine.deadline.set(None);
        Ok((result, timed_out))
    })
}

/// An event's value as a JavaScript value.
fn to_js<'js>(ctx: &Ctx<'js>, v: &Value) -> Result<rquickjs::Value<'js>, String> {
    use rquickjs::IntoJs;
    let js = match v {
        Value::Null => Ok(rquickjs::Value::new_null(ctx.clone())),
        Value::Bool(b) => b.into_js(ctx),
        Value::Int(i) => i.into_js(ctx),
        Value::Long(l) => (*l as f64).into_js(ctx),
        Value::Float(f) => (*f as f64).into_js(ctx),
        Value::Double(d) => d.into_js(ctx),
        Value::String(s) => s.as_ref().into_js(ctx),
        Value::Set(_) | Value::Json(_) => ctx.json_parse(v.to_json().to_string()),
    };
    js.map_err(|e| e.to_string())
}

/// A JavaScript result as a value of the declared type.
fn from_js<'js>(ctx: &Ctx<'js>, v: &rquickjs::Value<'js>, ty: AttrType) -> Result<Value, String> {
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    let number = v.as_number();
    let wrong = || format!("returned {} where {ty} was declared", describe(v));
    let integral = |lo: f64, hi: f64| number.filter(|n| n.fract() == 0.0 && *n >= lo && *n <= hi);
    Ok(match ty {
        AttrType::String => Value::string(&v.as_string().and_then(|s| s.to_string().ok()).ok_or_else(wrong)?),
        AttrType::Bool => Value::Bool(v.as_bool().ok_or_else(wrong)?),
        AttrType::Int => Value::Int(integral(i32::MIN as f64, i32::MAX as f64).ok_or_else(wrong)? as i32),
        AttrType::Long => {
            Value::Long(integral(-9.007_199_254_740_992e15, 9.007_199_254_740_992e15).ok_or_else(wrong)? as i64)
        }
        AttrType::Float => Value::Float(number.ok_or_else(wrong)? as f32),
        AttrType::Double => Value::Double(number.ok_or_else(wrong)?),
        AttrType::Object => {
            let text = ctx
                .json_stringify(v.clone())
                .map_err(|e| e.to_string())?
                .and_then(|s| s.to_string().ok())
                .ok_or_else(wrong)?;
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            Value::from_json(&json, AttrType::Object).map_err(|_| wrong())?
        }
    })
}

/// What kind of JavaScript value `v` is, for errors.
fn describe(v: &rquickjs::Value<'_>) -> String {
    if let Some(s) = v.as_string().and_then(|s| s.to_string().ok()) {
        return format!("the string \"{s}\"");
    }
    if let Some(n) = v.as_number() {
        return format!("the number {n}");
    }
    if let Some(b) = v.as_bool() {
        return format!("the boolean {b}");
    }
    format!("a value of type {}", v.type_name())
}
