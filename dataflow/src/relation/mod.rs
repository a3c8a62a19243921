//! The shared relations of an app: tables and named windows, which several
//! queries write and read. The queries that share them run together in one
//! [`group`](crate::query::group) processor, which owns one [`Relations`].

pub mod table;

use crate::value::Row;
use crate::window::Window;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
pub use table::{Table, Verdict};

/// Makes an empty table.
pub type TableFactory = Arc<dyn Fn() -> Table + Send + Sync>;

/// An empty table for a table plan: keyed as its `@primaryKey` says.
pub fn table_factory(plan: &sluice_frontend::logical::TablePlan) -> TableFactory {
    let name = plan.name.clone();
    let key = plan.primary_key.clone();
    let numeric = key.len() == 1 && plan.schema.attrs[key[0]].1.is_numeric();
    Arc::new(move || Table::new(&name, key.clone(), numeric))
}

/// Makes an empty named window.
pub type NamedWindowFactory = Arc<dyn Fn() -> Box<dyn Window> + Send + Sync>;

/// Which relation a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationRef {
    /// Table number `n`.
    Table(usize),
    /// Named window number `n`.
    Window(usize),
    /// Named aggregation number `n`.
    Aggregation(usize),
    /// What an on-demand write without `from` reads: one event, no attributes.
    Unit,
}

/// What a group of queries shares: every table, named window and named
/// aggregation of the app.
pub struct Relations {
    /// The tables, by number.
    pub tables: Vec<RefCell<Table>>,
    /// The named windows, by number.
    pub windows: Vec<RefCell<Box<dyn Window>>>,
    /// The named aggregations, by number.
    pub aggregations: Vec<RefCell<crate::aggregation::state::Aggregation>>,
    names: HashMap<String, RelationRef>,
}

impl Relations {
    /// Fresh relations from their factories; `names` maps relation names to them.
    pub fn new(
        tables: &[TableFactory],
        windows: &[NamedWindowFactory],
        aggregations: &[Arc<crate::aggregation::AggregationSpec>],
        names: HashMap<String, RelationRef>,
    ) -> Relations {
        Relations {
            tables: tables.iter().map(|f| RefCell::new(f())).collect(),
            windows: windows.iter().map(|f| RefCell::new(f())).collect(),
            aggregations: aggregations
                .iter()
                .map(|s| RefCell::new(crate::aggregation::state::Aggregation::new(s.clone())))
                .collect(),
            names,
        }
    }

    /// The relation called `name`.
    pub fn lookup(&self, name: &str) -> Option<RelationRef> {
        self.names.get(name).copied()
    }

    /// The rows relation `r` holds now, in iteration order.
    pub fn rows(&self, r: RelationRef) -> Vec<Row> {
        self.with_rows(r, |rows| rows.cloned().collect())
    }

    /// Calls `f` with the rows relation `r` holds now, in iteration order, without
    /// copying a table's rows (`f` may read the relations, not write them).
    pub fn with_rows<T>(&self, r: RelationRef, f: impl FnOnce(&mut dyn Iterator<Item = &Row>) -> T) -> T {
        match r {
            RelationRef::Table(i) => f(&mut self.tables[i].borrow().rows()),
            RelationRef::Window(i) => {
                let contents = self.windows[i].borrow().contents();
                f(&mut contents.iter())
            }
            // An aggregation is read with `within … per …` (`aggregation::read`).
            RelationRef::Aggregation(_) => f(&mut std::iter::empty()),
            RelationRef::Unit => {
                let unit: Row = Arc::from(Vec::new());
                f(&mut std::iter::once(&unit))
            }
        }
    }
}

impl std::fmt::Debug for Relations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Relations({} tables, {} windows)", self.tables.len(), self.windows.len())
    }
}
