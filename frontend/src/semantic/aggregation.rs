//! Checking `define aggregation` / `CREATE AGGREGATION` into an [`AggregationPlan`].

use super::{expr, Analyzer};
use crate::ast::*;
use crate::logical::*;

/// The granularity a duration names (`sec`, `minutes`, `hours`, …): 0 sec, 1 min,
/// 2 hour, 3 day, 4 month, 5 year.
pub fn granularity(word: &str) -> Option<usize> {
    const ORDER: [&str; 6] = ["sec", "min", "hour", "day", "month", "year"];
    let w = word.trim().to_ascii_lowercase();
    ORDER.iter().position(|u| w.starts_with(u) || (*u == "sec" && w.starts_with("second")))
}

impl Analyzer {
    pub(super) fn aggregation(&mut self, agg: &AggregationDef) {
        let Some(entry) = self.catalog.get(&agg.input.stream.name).cloned() else {
            self.error(agg.input.stream.span, format!("stream '{}' is not defined", agg.input.stream.name));
            return;
        };
        let scope = expr::Scope::single(&entry.name, None, &entry.schema);
        let mut filters = Vec::new();
        for h in &agg.input.handlers {
            match h {
                StreamHandler::Filter(f) => {
                    // Siddhi 5.1.7 aggregates none of the events of such an
                    // aggregation; Sluice neither copies that nor departs from it.
                    self.not_built(f.span, "a filter on an aggregation's stream");
                    filters.push(self.condition(f, &scope));
                }
                StreamHandler::Window(w) | StreamHandler::Function(w) => {
                    self.not_built(w.span, "a window or stream function before an aggregation")
                }
                StreamHandler::Within { span, .. } => self.error(*span, "`within` is not allowed here"),
            }
        }
        let mut ctx = expr::Ctx::aggregating();
        ctx.input_len = entry.schema.len();
        let mut schema = Schema::default();
        schema.attrs.push(("AGG_TIMESTAMP".to_string(), AttrType::Long));
        let mut projection = Vec::new();
        if let Some(items) = &agg.selector.items {
            for item in items {
                let te = self.typed(&item.expr, &scope, &mut ctx);
                let name = item.alias.as_ref().map(|a| a.name.clone()).or_else(|| expr::plain_name(&item.expr));
                let name = name.unwrap_or_default();
                schema.attrs.push((name.clone(), te.ty));
                projection.push((name, te));
            }
        } else {
            for (i, (name, ty)) in entry.schema.attrs.iter().enumerate() {
                schema.attrs.push((name.clone(), *ty));
                let kind = TypedExprKind::Attribute { input: 0, position: i };
                projection.push((name.clone(), TypedExpr { kind, ty: *ty, span: agg.span }));
            }
        }
        let group_by: Vec<TypedExpr> =
            agg.selector.group_by.iter().map(|g| self.typed(g, &scope, &mut expr::Ctx::plain())).collect();
        let timestamp = agg.aggregate_by.as_ref().map(|by| {
            let te = self.typed(by, &scope, &mut expr::Ctx::plain());
            if te.ty != AttrType::Long && te.ty != AttrType::String {
                self.error(by.span, format!("`aggregate by` needs a long (or string) timestamp, found {}", te.ty));
            }
            te
        });
        let durations: Vec<&Ident> = match &agg.durations {
            AggregationDurations::Range(a, b) => vec![a, b],
            AggregationDurations::List(l) => l.iter().collect(),
        };
        let mut granularities: Vec<usize> = Vec::new();
        for d in &durations {
            match granularity(&d.name) {
                Some(u) => granularities.push(u),
                None => self.error(
                    d.span,
                    format!("aggregations support sec, min, hours, days, months and years, not '{}'", d.name),
                ),
            }
        }
        if let (AggregationDurations::Range(..), [from, to]) = (&agg.durations, granularities.as_slice()) {
            granularities = (*from..=*to).collect();
        }
        granularities.sort_unstable();
        granularities.dedup();
        for a in &agg.annotations {
            if a.name.eq_ignore_ascii_case("store") || a.name.eq_ignore_ascii_case("partitionById") {
                self.not_built(a.span, format!("@{} on an aggregation", a.name));
            }
        }
        for purge in agg.annotations.iter().filter(|a| a.name.eq_ignore_ascii_case("purge")) {
            for retention in purge.nested("retentionPeriod") {
                for e in &retention.elements {
                    if let AnnotationElement::Property { key: Some(k), span, .. } = e {
                        if !granularity(k).is_some_and(|u| granularities.contains(&u)) {
                            self.error(
                                *span,
                                format!(
                                    "retention period '{k}' is not a granularity of aggregation '{}'",
                                    agg.name.name
                                ),
                            );
                        }
                    }
                }
            }
            // Purging is off only when `enable` is false.
            if purge.property("enable").is_none_or(|v| !v.eq_ignore_ascii_case("false")) {
                self.not_built(purge.span, "purging an aggregation (@purge)");
            }
        }
        let aggregates = ctx.aggregates.unwrap_or_default();
        self.define(&agg.name, EntryKind::Aggregation, schema.clone(), true);
        self.aggregations.push(AggregationPlan {
            name: agg.name.name.clone(),
            stream: entry.name.clone(),
            filters,
            projection,
            aggregates,
            group_by,
            timestamp,
            granularities,
            schema,
        });
    }
}
