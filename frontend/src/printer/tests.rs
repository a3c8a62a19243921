use super::*;
use crate::parse;

/// Prints `text` in `spelling` and checks that the printed app means the same: it
/// parses back to a tree that prints classically as the original does, and the
/// classic print is a fixed point (its tree round-trips exactly).
fn round_trip(text: &str, spelling: Spelling) -> String {
    let app = parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    let printed = print_app_in(&app, spelling);
    let again = parse(&printed).unwrap_or_else(|e| panic!("printed text does not parse:\n{printed}\n{e:?}"));
    let canonical = print_app(&app);
    assert_eq!(print_app(&again), canonical, "round trip changed the tree:\n{printed}");
    let normal = parse(&canonical).unwrap_or_else(|e| panic!("canonical text does not parse:\n{canonical}\n{e:?}"));
    assert_eq!(parse(&print_app(&normal)), Ok(normal), "the classic print is not a fixed point:\n{canonical}");
    printed
}

#[test]
fn precedence_and_literals() {
    let p = round_trip(
        "define stream S (a int, b double); from S select (a + 2) * 3 as x, a - (2 - 3) as y, not (a > 1 and b < 2.0) as z, -5 as n, 10L as l, 1.5f as f, 2 hours 5 sec as t, \"it's\" as s insert into O;",
        Spelling::Classic,
    );
    assert!(p.contains("(a + 2) * 3 as x"), "{p}");
    assert!(p.contains("a - (2 - 3) as y"), "{p}");
    assert!(p.contains("2 hours 5 sec as t"), "{p}");
    assert!(p.contains("\"it's\" as s"), "{p}");
}

#[test]
fn patterns_and_macrometa_forms() {
    for spelling in [Spelling::Classic, Spelling::Macrometa] {
        round_trip("define stream S (p double); from every (e1=S[p > 1] -> e2=S[p > e1.p]<2:5>) within 10 min -> not S for 5 sec select e1.p, e2[last].p as l insert into O;", spelling);
        round_trip("define stream S (p double); from every e1=S, e2=S[p > e1.p]+, e3=S? within 1 sec select e1.p insert into O;", spelling);
    }
    let p = round_trip("CREATE SOURCE S WITH (type='http', map.type='json') (x int); CREATE TABLE GLOBAL T (x int); CREATE UNIQUE INDEX ix ON TABLE T (x); INSERT INTO O SELECT x FROM S WINDOW TUMBLING_LENGTH(4);", Spelling::Classic);
    assert!(p.contains("@source(type = 'http', @map(type = 'json'))"), "{p}");
    assert!(p.contains("from S#window.lengthBatch(4)"), "{p}");
}

#[test]
fn classic_apps_print_in_macrometa_spelling() {
    let p = round_trip(
        "@app:name('A')\n@sink(type = 'log', prefix = 'X', @map(type = 'json'))\ndefine stream S (a int, b double);\n@primaryKey('a') define table T (a int, b double);\ndefine window W (a int) time(1 min) output all events;\ndefine trigger Tick at every 5 sec;\n@info(name = 'q') from S[a > 1]#window.length(5) as s select a, sum(b) as total group by a having total > 1.0 order by total desc limit 3 output last every 2 events insert into O;\nfrom S join T on S.a == T.a select S.a, T.b insert into J;\nfrom S update or insert into T set T.b = b on T.a == a;\nfrom S delete T for expired events on T.a == a;\nfrom S#window.length(2) select a return all events;\nfrom S#window.length(3)[a > 2] select a insert into W2;",
        Spelling::Macrometa,
    );
    for want in [
        "CREATE SINK S WITH (type = 'log', prefix = 'X', map.type = 'json') (a int, b double)",
        "@primaryKey('a')\nCREATE TABLE T (a int, b double)",
        "CREATE WINDOW W (a int) SLIDING_TIME(1 min) OUTPUT ALL EVENTS",
        "CREATE TRIGGER Tick WITH (interval = 5 sec)",
        "@info(name = 'q')\nINSERT INTO O\nSELECT a, sum(b) AS total\nFROM S[a > 1] WINDOW SLIDING_LENGTH(5) AS s\nGROUP BY a",
        "GROUP BY a\nHAVING total > 1.0\nORDER BY total DESC\nLIMIT 3\nOUTPUT LAST EVERY 2 EVENTS;",
        "FROM S\nJOIN T\nON S.a == T.a",
        "UPDATE OR INSERT INTO T SET T.b = b ON T.a == a\nSELECT *\nFROM S",
        "DELETE T FOR EXPIRED EVENTS ON T.a == a",
        "from S#window.length(2)\nselect a\nreturn all events",
        // Alone after a window, WHERE would be HAVING: the filter stays in place.
        "INSERT INTO W2\nSELECT a\nFROM S WINDOW SLIDING_LENGTH(3)[a > 2];",
    ] {
        assert!(p.contains(want), "missing {want:?} in:\n{p}");
    }
}

#[test]
fn macrometa_windows_print_by_their_classic_names() {
    let p = round_trip(
        "CREATE STREAM S (a int, t long); INSERT INTO O SELECT a FROM S WINDOW SLIDING_TIME_LENGTH(1 sec, 10); INSERT INTO P SELECT a FROM S WINDOW TUMBLING_EXTERNAL_TIME(t, 1 min); INSERT INTO Q SELECT a FROM S WINDOW unique:length(a, 3);",
        Spelling::Classic,
    );
    assert!(p.contains("from S#window.timeLength(1 sec, 10)"), "{p}");
    assert!(p.contains("from S#window.externalTimeBatch(t, 1 min)"), "{p}");
    assert!(p.contains("from S#window.unique:length(a, 3)"), "{p}");
}

#[test]
fn macrometa_unique_windows_stores_and_indexes_round_trip() {
    let text = "CREATE STREAM S (k string, t long); \
        INSERT INTO A SELECT k FROM S WINDOW UNIQUE:SLIDING_LENGTH(k, 3); \
        INSERT INTO B SELECT k FROM S WINDOW UNIQUE:TUMBLING_EXTERNAL_TIME(k, t, 1 sec); \
        CREATE STORE St WITH (type = 'database', collection = 'c') (k string); \
        CREATE TABLE LOCAL L (k string); \
        CREATE TABLE Fed (k string) AS SELECT k FROM S WINDOW SLIDING_LENGTH(1); \
        CREATE SINK STREAM Out (k string) AS SELECT k FROM S; \
        CREATE SECONDARY INDEX six ON STORE St WITH (type = 'global') (k); \
        CREATE INDEX ix ON TABLE L WITH (type = 'hash', sparse = 'true') (k); \
        INSERT INTO C FROM S; \
        INSERT INTO D SELECT k, count() AS n FROM S WINDOW SLIDING_LENGTH(2) GROUP BY k WHERE n > 1; \
        INSERT INTO E SELECT k, count() AS n FROM S WINDOW SLIDING_LENGTH(2) WHERE n > 1; \
        INSERT INTO F SELECT k, count() AS n FROM S WINDOW SLIDING_LENGTH(2) WHERE k != 'x' GROUP BY k;";
    for spelling in [Spelling::Classic, Spelling::Macrometa] {
        round_trip(text, spelling);
    }
    let p = round_trip(text, Spelling::Macrometa);
    for want in [
        "FROM S WINDOW UNIQUE:SLIDING_LENGTH(k, 3)",
        "FROM S WINDOW UNIQUE:TUMBLING_EXTERNAL_TIME(k, t, 1 sec)",
        "@store(type = 'database', collection = 'c')\nCREATE TABLE St (k string)",
        "CREATE TABLE L (k string)",
        "CREATE TABLE Fed (k string);\n\nINSERT INTO Fed\nSELECT k\nFROM S WINDOW SLIDING_LENGTH(1)",
        "CREATE SECONDARY INDEX six ON STORE St WITH (type = 'global') (k)",
        "CREATE INDEX ix ON TABLE L WITH (type = 'hash', sparse = 'true') (k)",
        "INSERT INTO C\nSELECT *\nFROM S",
        "GROUP BY k\nHAVING n > 1",
        "FROM S WINDOW SLIDING_LENGTH(2)\nHAVING n > 1",
        "FROM S WINDOW SLIDING_LENGTH(2)\nWHERE k != 'x'\nGROUP BY k",
    ] {
        assert!(p.contains(want), "missing {want:?} in:\n{p}");
    }
    let c = round_trip(text, Spelling::Classic);
    assert!(c.contains("from S#window.unique:length(k, 3)"), "{c}");
    assert!(c.contains("from S#window.length(2)\nselect k, count() as n\nhaving n > 1"), "{c}");
}
