//! Resolving and typing expressions against the inputs in scope.

use super::functions::{
    aggregate_parameters_from, aggregate_type, check_aggregate_parameters, is_aggregate, scalar_type, CallArgs,
    CORE_FUNCTION_NAMES,
};
use super::Analyzer;
use crate::ast::*;
use crate::logical::*;

/// One input a query can name: a stream (with its alias) or a pattern event.
#[derive(Clone)]
pub(crate) struct InputScope {
    /// The stream (or event alias) name.
    pub name: String,
    /// `as alias`.
    pub alias: Option<String>,
    /// Its attributes.
    pub schema: Schema,
    /// Whether it is a pattern event that may be indexed (`e2[0]`).
    pub indexable: bool,
    /// Whether it is a counted pattern event (`<n:m>`, `+`, `*`, `?`): read
    /// without an index in `select`, an attribute is the list of every match's.
    pub counted: bool,
}

/// The names an expression can see.
#[derive(Clone)]
pub(crate) struct Scope {
    /// The inputs, in order.
    pub inputs: Vec<InputScope>,
    /// For bare names in a pattern filter: the event being filtered.
    pub current: Option<usize>,
    /// For `having` / `order by`: the output attributes, seen first.
    pub output: Option<Schema>,
    /// Whether the inputs are a join's two sides (`t is null` tests a side).
    pub join: bool,
}

impl Scope {
    /// The scope of a single input.
    pub fn single(name: &str, alias: Option<&str>, schema: &Schema) -> Scope {
        Scope {
            inputs: vec![InputScope {
                name: name.to_string(),
                alias: alias.map(str::to_string),
                schema: schema.clone(),
                indexable: false,
                counted: false,
            }],
            current: None,
            output: None,
            join: false,
        }
    }
}

/// Whether aggregates may appear, and where they are collected.
pub(crate) struct Ctx {
    /// `Some` where aggregate calls are allowed (select, having).
    pub aggregates: Option<Vec<AggregateCall>>,
    /// The width of the input row (aggregate values follow it).
    pub input_len: usize,
}

impl Ctx {
    /// No aggregates allowed.
    pub fn plain() -> Ctx {
        Ctx { aggregates: None, input_len: 0 }
    }
    /// Aggregates allowed.
    pub fn aggregating() -> Ctx {
        Ctx { aggregates: Some(Vec::new()), input_len: 0 }
    }
}

/// The name an unaliased select item takes: a plain attribute's own name.
pub(crate) fn plain_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Attribute { name, .. } => Some(name.name.clone()),
        _ => None,
    }
}

/// Parses `'100 millisec'`-style durations in annotation values.
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut words = text.split_whitespace();
    let mut any = false;
    while let Some(n) = words.next() {
        let n: i64 = n.parse().ok()?;
        let unit = words.next().map_or(Some(1), crate::parser::unit_ms)?;
        total += n * unit;
        any = true;
    }
    any.then_some(total)
}

const POISON: &str = "<error>";

fn poison(span: Span) -> TypedExpr {
    TypedExpr { kind: TypedExprKind::Unsupported(POISON.into()), ty: AttrType::Object, span }
}

fn is_poison(e: &TypedExpr) -> bool {
    matches!(&e.kind, TypedExprKind::Unsupported(s) if s == POISON)
}

fn literal_type(l: &Literal) -> AttrType {
    match l {
        Literal::String(_) => AttrType::String,
        Literal::Int(_) => AttrType::Int,
        Literal::Long(_) | Literal::Time(_) => AttrType::Long,
        Literal::Float(_) => AttrType::Float,
        Literal::Double(_) => AttrType::Double,
        Literal::Bool(_) => AttrType::Bool,
        Literal::Null => AttrType::Object,
    }
}

fn promote(a: AttrType, b: AttrType) -> AttrType {
    use AttrType::*;
    match (a, b) {
        (Double, _) | (_, Double) => Double,
        (Float, _) | (_, Float) => Float,
        (Long, _) | (_, Long) => Long,
        _ => Int,
    }
}

impl Analyzer {
    /// Types `e` as a condition: it must be bool.
    pub(crate) fn condition(&mut self, e: &Expr, scope: &Scope) -> TypedExpr {
        let t = self.typed(e, scope, &mut Ctx::plain());
        if !is_poison(&t) && t.ty != AttrType::Bool {
            self.error(e.span, format!("a condition must be bool, but this is {}", t.ty));
        }
        t
    }

    /// Resolves and types `e`; errors are recorded and a poison value returned.
    ///
    /// Only a dispatcher: the recursion runs through here once per level of the
    /// tree, so the work of each form is in a function of its own, keeping this
    /// frame small even unoptimised (where every local gets its own slot).
    pub(crate) fn typed(&mut self, e: &Expr, scope: &Scope, ctx: &mut Ctx) -> TypedExpr {
        let span = e.span;
        match &e.kind {
            ExprKind::Call(call) => self.call(call, scope, ctx, span),
            ExprKind::Unary(op, x) => {
                let t = self.typed(x, scope, ctx);
                self.unary(*op, x, t, span)
            }
            ExprKind::Binary(op, l, r) => {
                let lt = self.typed(l, scope, ctx);
                let rt = self.typed(r, scope, ctx);
                self.binary(*op, (l, lt), (r, rt), span)
            }
            ExprKind::IsNull(x) => {
                if let Some(side) = join_side_named(x, scope) {
                    let marker = TypedExprKind::Attribute { input: JOIN_PRESENCE, position: side };
                    let marker = TypedExpr { kind: marker, ty: AttrType::Bool, span: x.span };
                    return TypedExpr { kind: TypedExprKind::IsNull(Box::new(marker)), ty: AttrType::Bool, span };
                }
                let t = self.typed(x, scope, ctx);
                if is_poison(&t) {
                    return poison(span);
                }
                TypedExpr { kind: TypedExprKind::IsNull(Box::new(t)), ty: AttrType::Bool, span }
            }
            ExprKind::In(x, table) => self.in_table(x, table, scope, ctx, span),
            // In `select`/`having`, `e1.attr` of a counted pattern event without an
            // index is the list of every matched event's value, as in the reference.
            ExprKind::Attribute { stream: Some(r), name } if r.index.is_none() && ctx.aggregates.is_some() => {
                let leaf = self.leaf(e, scope);
                match leaf.kind {
                    TypedExprKind::Attribute { input, position } if scope.inputs[input].counted => TypedExpr {
                        kind: TypedExprKind::Indexed { input, index: ALL_EVENTS, position },
                        ty: AttrType::Object,
                        span: name.span,
                    },
                    _ => leaf,
                }
            }
            ExprKind::Literal(_) | ExprKind::Attribute { .. } | ExprKind::StreamRef(_) => self.leaf(e, scope),
        }
    }

    /// A literal, an attribute or an event reference.
    fn leaf(&mut self, e: &Expr, scope: &Scope) -> TypedExpr {
        let span = e.span;
        let mk = |kind, ty| TypedExpr { kind, ty, span };
        match &e.kind {
            ExprKind::Literal(l) => mk(TypedExprKind::Literal(l.clone()), literal_type(l)),
            ExprKind::Attribute { stream: None, name } => {
                if let Some(out) = &scope.output {
                    if let Some((i, ty)) = out.find(&name.name) {
                        return mk(TypedExprKind::OutputAttribute(i), ty);
                    }
                }
                let order: Vec<usize> = match scope.current {
                    Some(c) => std::iter::once(c).chain((0..scope.inputs.len()).filter(|i| *i != c)).collect(),
                    None => (0..scope.inputs.len()).collect(),
                };
                if let Some(c) = scope.current {
                    if let Some((p, ty)) = scope.inputs[c].schema.find(&name.name) {
                        return mk(TypedExprKind::Attribute { input: c, position: p }, ty);
                    }
                }
                let hits: Vec<(usize, usize, AttrType)> = order
                    .into_iter()
                    .filter_map(|i| scope.inputs[i].schema.find(&name.name).map(|(p, t)| (i, p, t)))
                    .collect();
                match hits.as_slice() {
                    [(i, p, t)] => mk(TypedExprKind::Attribute { input: *i, position: *p }, *t),
                    [] if scope.inputs.iter().any(|s| s.indexable && s.name == name.name) => {
                        let input = scope.inputs.iter().position(|s| s.indexable && s.name == name.name).unwrap_or(0);
                        mk(TypedExprKind::Indexed { input, index: -1, position: usize::MAX }, AttrType::Object)
                    }
                    [] => {
                        let names: Vec<&str> = scope.inputs.iter().map(|s| s.name.as_str()).collect();
                        let known = scope.inputs.iter().flat_map(|s| s.schema.attrs.iter().map(|(n, _)| n.as_str()));
                        let hint = super::suggest::did_you_mean(&name.name, known);
                        self.error(
                            name.span,
                            format!("'{}' is not an attribute of {}{hint}", name.name, names.join(" or ")),
                        );
                        poison(span)
                    }
                    _ => {
                        self.error(
                            name.span,
                            format!("'{}' is ambiguous: more than one input has it; write S.{}", name.name, name.name),
                        );
                        poison(span)
                    }
                }
            }
            ExprKind::Attribute { stream: Some(r), name } => {
                let Some(i) = self.resolve_ref(r, scope) else {
                    return poison(span);
                };
                match scope.inputs[i].schema.find(&name.name) {
                    Some((p, t)) => {
                        if let Some(ix) = r.index {
                            let index = match ix {
                                EventIndex::Nth(n) => n as i64,
                                EventIndex::Last(n) => -1 - n as i64,
                            };
                            mk(TypedExprKind::Indexed { input: i, index, position: p }, t)
                        } else {
                            mk(TypedExprKind::Attribute { input: i, position: p }, t)
                        }
                    }
                    None => {
                        let known = scope.inputs[i].schema.attrs.iter().map(|(n, _)| n.as_str());
                        let hint = super::suggest::did_you_mean(&name.name, known);
                        self.error(name.span, format!("'{}' has no attribute '{}'{hint}", r.name.name, name.name));
                        poison(span)
                    }
                }
            }
            ExprKind::StreamRef(r) => {
                let Some(input) = self.resolve_ref(r, scope) else {
                    return poison(span);
                };
                let index = match r.index {
                    Some(EventIndex::Nth(n)) => n as i64,
                    Some(EventIndex::Last(n)) => -1 - n as i64,
                    None => -1,
                };
                mk(TypedExprKind::Indexed { input, index, position: usize::MAX }, AttrType::Object)
            }
            _ => unreachable!("not a leaf"),
        }
    }

    /// `not x` or `-x` over `x` typed as `t`.
    fn unary(&mut self, op: UnaryOp, x: &Expr, t: TypedExpr, span: Span) -> TypedExpr {
        if is_poison(&t) {
            return poison(span);
        }
        let ty = match op {
            UnaryOp::Not if t.ty == AttrType::Bool => AttrType::Bool,
            UnaryOp::Neg if t.ty.is_numeric() => t.ty,
            UnaryOp::Not => {
                self.error(x.span, format!("`not` needs a bool, found {}", t.ty));
                return poison(span);
            }
            UnaryOp::Neg => {
                self.error(x.span, format!("`-` needs a number, found {}", t.ty));
                return poison(span);
            }
        };
        TypedExpr { kind: TypedExprKind::Unary(op, Box::new(t)), ty, span }
    }

    /// `l op r`, each side with its type.
    fn binary(
        &mut self,
        op: BinaryOp,
        (l, lt): (&Expr, TypedExpr),
        (r, rt): (&Expr, TypedExpr),
        span: Span,
    ) -> TypedExpr {
        if is_poison(&lt) || is_poison(&rt) {
            return poison(span);
        }
        let ty = match op {
            BinaryOp::And | BinaryOp::Or => {
                for (side, t) in [(l, &lt), (r, &rt)] {
                    if t.ty != AttrType::Bool {
                        self.error(side.span, format!("`{}` needs bool operands, but this is {}", op.symbol(), t.ty));
                        return poison(span);
                    }
                }
                AttrType::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let ok = (lt.ty.is_numeric() && rt.ty.is_numeric())
                    || lt.ty == rt.ty
                    || lt.ty == AttrType::Object
                    || rt.ty == AttrType::Object;
                if !ok {
                    self.error(span, format!("cannot compare {} with {}", lt.ty, rt.ty));
                    return poison(span);
                }
                AttrType::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ok = (lt.ty.is_numeric() && rt.ty.is_numeric())
                    || (lt.ty == AttrType::String && rt.ty == AttrType::String);
                if !ok {
                    self.error(span, format!("`{}` cannot compare {} with {}", op.symbol(), lt.ty, rt.ty));
                    return poison(span);
                }
                AttrType::Bool
            }
            _ => {
                if !lt.ty.is_numeric() || !rt.ty.is_numeric() {
                    self.error(span, format!("`{}` needs numbers, found {} and {}", op.symbol(), lt.ty, rt.ty));
                    return poison(span);
                }
                promote(lt.ty, rt.ty)
            }
        };
        TypedExpr { kind: TypedExprKind::Binary(op, Box::new(lt), Box::new(rt)), ty, span }
    }

    /// `x in table`: `x` may name the table's attributes.
    fn in_table(&mut self, x: &Expr, table: &Ident, scope: &Scope, ctx: &mut Ctx, span: Span) -> TypedExpr {
        let tschema = match self.catalog.get(&table.name) {
            Some(e) if e.kind == EntryKind::Table || e.kind == EntryKind::Window => e.schema.clone(),
            _ => {
                self.error(table.span, format!("'{}' is not a defined table", table.name));
                return poison(span);
            }
        };
        // The condition may name the table's attributes (`T.symbol == symbol in T`).
        let mut with_table = scope.clone();
        with_table.inputs.push(InputScope {
            name: table.name.clone(),
            alias: None,
            schema: tschema,
            indexable: false,
            counted: false,
        });
        if with_table.current.is_none() {
            with_table.current = Some(0);
        }
        let input = with_table.inputs.len() - 1;
        let t = self.typed(x, &with_table, ctx);
        if is_poison(&t) {
            return poison(span);
        }
        TypedExpr {
            kind: TypedExprKind::In { table: table.name.clone(), input, cond: Box::new(t) },
            ty: AttrType::Bool,
            span,
        }
    }

    /// Finds the input a `S.` / `e1.` / `e2[0].` prefix names.
    fn resolve_ref(&mut self, r: &StreamRef, scope: &Scope) -> Option<usize> {
        let by_alias = scope.inputs.iter().position(|s| s.alias.as_deref() == Some(r.name.name.as_str()));
        let by_name = scope.inputs.iter().position(|s| s.alias.is_none() && s.name == r.name.name);
        let found = by_alias.or(by_name);
        match found {
            Some(i) => {
                if r.index.is_some() && !scope.inputs[i].indexable {
                    self.error(
                        r.name.span,
                        format!("'{}' is not a counted pattern event, so it cannot be indexed", r.name.name),
                    );
                    return None;
                }
                Some(i)
            }
            None => {
                let hint = if scope.inputs.iter().any(|s| s.name == r.name.name) {
                    " (it has an alias; use the alias)"
                } else {
                    ""
                };
                self.error(r.name.span, format!("'{}' is not an input of this query{hint}", r.name.name));
                None
            }
        }
    }

    /// A call: its arguments typed here, on the way down, the rest in [`Self::call_typed`].
    fn call(&mut self, call: &FunctionCall, scope: &Scope, ctx: &mut Ctx, span: Span) -> TypedExpr {
        let aggregate = is_aggregate(&call.qualified_name());
        if aggregate && ctx.aggregates.is_none() {
            self.error(
                call.span,
                format!("aggregate function '{}' can only be used in select or having", call.name.name),
            );
            return poison(span);
        }
        let star = matches!(call.args.as_slice(), [Expr { kind: ExprKind::Attribute { stream: None, name }, .. }] if name.name == "*");
        if star {
            // `maximum(*)`, `minimum(*)`: over every attribute of the one input.
            let [input] = scope.inputs.as_slice() else {
                self.error(call.span, format!("{}(*) reads every attribute of one input", call.name.name));
                return poison(span);
            };
            let args: Vec<TypedExpr> = (0..input.schema.attrs.len())
                .map(|p| TypedExpr {
                    kind: TypedExprKind::Attribute { input: 0, position: p },
                    ty: input.schema.attrs[p].1,
                    span: call.args[0].span,
                })
                .collect();
            return self.call_typed(call, args, aggregate, ctx, span);
        }
        let args: Vec<TypedExpr> = if aggregate {
            call.args.iter().map(|a| self.typed(a, scope, &mut Ctx::plain())).collect()
        } else {
            call.args.iter().map(|a| self.typed(a, scope, ctx)).collect()
        };
        self.call_typed(call, args, aggregate, ctx, span)
    }

    /// Checks the parameters of an aggregate that takes some (constants, in
    /// range); false after reporting what is wrong at the argument.
    fn aggregate_parameters(&mut self, call: &FunctionCall, name: &str) -> bool {
        let Some(from) = aggregate_parameters_from(name) else {
            return true;
        };
        let mut literals = Vec::new();
        for a in call.args.iter().skip(from) {
            match &a.kind {
                ExprKind::Literal(l) => literals.push(l),
                _ => {
                    self.not_built(
                        a.span,
                        format!(
                            "a parameter of {}:{}() read from each event (only constants are built)",
                            call.namespace.as_ref().map_or("", |n| n.name.as_str()),
                            call.name.name
                        ),
                    );
                    return false;
                }
            }
        }
        if let Err((i, m)) = check_aggregate_parameters(name, &literals) {
            let at = call.args.get(i).map_or(call.span, |a| a.span);
            self.error(at, m);
            return false;
        }
        true
    }

    /// A call over its typed `args`.
    fn call_typed(
        &mut self,
        call: &FunctionCall,
        args: Vec<TypedExpr>,
        aggregate: bool,
        ctx: &mut Ctx,
        span: Span,
    ) -> TypedExpr {
        let name = call.qualified_name();
        let written = match &call.namespace {
            Some(ns) => format!("{}:{}", ns.name, call.name.name),
            None => call.name.name.clone(),
        };
        // Messages name the function as the user wrote it.
        let as_written = |m: String| m.replacen(&name, &written, 1);
        if aggregate {
            if args.iter().any(is_poison) {
                return poison(span);
            }
            let types: Vec<AttrType> = args.iter().map(|a| a.ty).collect();
            let typed = aggregate_type(&name, &types);
            if typed.is_ok() && !self.aggregate_parameters(call, &name) {
                return poison(span);
            }
            return match typed {
                Ok(ty) => {
                    let list = ctx.aggregates.as_mut().expect("checked");
                    let index = list.len();
                    list.push(AggregateCall { name, args, ty });
                    TypedExpr { kind: TypedExprKind::Aggregate { index, position: ctx.input_len + index }, ty, span }
                }
                Err(m) => {
                    self.error(call.span, as_written(m));
                    poison(span)
                }
            };
        }
        if args.iter().any(is_poison) {
            return poison(span);
        }
        let types: Vec<AttrType> = args.iter().map(|a| a.ty).collect();
        let consts: Vec<Option<String>> = call
            .args
            .iter()
            .map(|a| match &a.kind {
                ExprKind::Literal(Literal::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        if call.namespace.is_none() {
            let script = self.catalog.functions.iter().find(|s| s.name.eq_ignore_ascii_case(&call.name.name));
            if let Some(function) = script.cloned() {
                let ty = function.return_type;
                return TypedExpr { kind: TypedExprKind::Script { function, args }, ty, span };
            }
        }
        let found = scalar_type(&name, &CallArgs { types: &types, const_strings: &consts })
            .or_else(|| self.functions.and_then(|lookup| lookup(&name, &types, &consts)));
        match found {
            Some(Ok(ty)) => TypedExpr { kind: TypedExprKind::Call { name, args }, ty, span },
            Some(Err(m)) => {
                self.error(call.span, as_written(m));
                poison(span)
            }
            None => {
                let hint = if call.namespace.is_none() {
                    let scripts = self.catalog.functions.iter().map(|s| s.name.as_str());
                    super::suggest::did_you_mean(written.as_str(), CORE_FUNCTION_NAMES.iter().copied().chain(scripts))
                } else {
                    String::new()
                };
                self.error(call.span, format!("function '{written}' is not defined{hint}"));
                poison(span)
            }
        }
    }
}

/// The side (0 left, 1 right), when `x` is a bare name that is no attribute but
/// names a side of a join (`t` in `t is null`); pattern events (`e2 is null`)
/// are read as events.
fn join_side_named(x: &Expr, scope: &Scope) -> Option<usize> {
    let ExprKind::Attribute { stream: None, name } = &x.kind else { return None };
    let n = name.name.as_str();
    let attribute = scope.output.as_ref().is_some_and(|o| o.find(n).is_some())
        || scope.inputs.iter().any(|i| i.schema.find(n).is_some());
    if !scope.join || attribute {
        return None;
    }
    let by_alias = scope.inputs.iter().position(|i| i.alias.as_deref() == Some(n));
    by_alias.or_else(|| scope.inputs.iter().position(|i| i.name == n))
}

impl Analyzer {
    /// `having` (and Macrometa's `WHERE` that means it) filters the selected rows:
    /// like the reference, it reads the output's attributes, not the input's.
    pub(crate) fn having_reads_output(&mut self, t: &TypedExpr) {
        match &t.kind {
            TypedExprKind::Attribute { .. } => self.error(
                t.span,
                "`having` reads the selected attributes, and this one is not selected: select it, or filter \
                 the input events (`S[…]`, or WHERE before GROUP BY)",
            ),
            TypedExprKind::Call { args, .. } | TypedExprKind::Script { args, .. } => {
                for a in args {
                    self.having_reads_output(a);
                }
            }
            TypedExprKind::Unary(_, x) | TypedExprKind::IsNull(x) => self.having_reads_output(x),
            TypedExprKind::Binary(_, l, r) => {
                self.having_reads_output(l);
                self.having_reads_output(r);
            }
            _ => {}
        }
    }
}
