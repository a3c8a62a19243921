//! Splits app text into tokens with byte spans.
//!
//! The stream-worker language departs from SQL at the lexical level in ways that
//! matter for error messages (`#window.time`, `!Fault`, `->`, `<2:5>`, `10L`,
//! `1.5f`, `"""…"""`, `{ script bodies }`), so it has its own small lexer; words are
//! never reserved here — the parser decides from context whether a word is a keyword,
//! as Siddhi lets keywords be used as names.

use crate::ast::Span;
use crate::diagnostic::Diagnostic;

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// A word: a name or a keyword (`define`, `price`, `SLIDING_TIME`).
    Word(String),
    /// A backquoted name (`` `my name` ``): never a keyword.
    QuotedName(String),
    /// A string literal, quotes removed.
    Str(String),
    /// A number as written, suffix included (`10`, `10L`, `1.5f`, `2e3`).
    Number(String),
    /// Punctuation and operators (`(`, `==`, `->`, `...`).
    Sym(&'static str),
    /// A script body between braces, braces removed.
    Block(String),
    /// The end of the text.
    Eof,
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
}

impl Token {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match &self.kind {
            TokenKind::Word(w) => format!("`{w}`"),
            TokenKind::QuotedName(w) => format!("`{w}`"),
            TokenKind::Str(s) => format!("string '{s}'"),
            TokenKind::Number(n) => format!("number {n}"),
            TokenKind::Sym(s) => format!("`{s}`"),
            TokenKind::Block(_) => "a `{ … }` block".to_string(),
            TokenKind::Eof => "the end of the app".to_string(),
        }
    }
}

const SYMBOLS: &[&str] = &[
    "...", "==", "!=", "<>", "<=", ">=", "->", "(", ")", "[", "]", ",", ";", ".", ":", "#", "!", "@", "=", "<", ">",
    "+", "-", "*", "/", "%", "?",
];

/// Tokenizes `text`; the last token is always [`TokenKind::Eof`].
pub fn tokenize(text: &str) -> Result<Vec<Token>, Diagnostic> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if text[i..].starts_with("--") || text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        }
        if text[i..].starts_with("/*") {
            match text[i + 2..].find("*/") {
                Some(n) => i += n + 4,
                None => return Err(Diagnostic::error(Span::new(i, i + 2), "this comment is never closed with `*/`")),
            }
            continue;
        }
        let kind = if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            TokenKind::Word(text[start..i].to_string())
        } else if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i = scan_number(bytes, i);
            if i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                let mut end = i;
                while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                    end += 1;
                }
                return Err(Diagnostic::error(
                    Span::new(start, end),
                    format!("`{}` is not a number (suffixes are L, f and d)", &text[start..end]),
                ));
            }
            TokenKind::Number(text[start..i].to_string())
        } else if text[i..].starts_with("\"\"\"") {
            match text[i + 3..].find("\"\"\"") {
                Some(n) => {
                    i += n + 6;
                    TokenKind::Str(text[start + 3..i - 3].to_string())
                }
                None => {
                    return Err(Diagnostic::error(Span::new(i, i + 3), "this string is never closed with `\"\"\"`"))
                }
            }
        } else if c == b'\'' || c == b'"' {
            let quote = c as char;
            let rest = &text[i + 1..];
            let close = rest.find([quote, '\n']);
            match close {
                Some(n) if rest.as_bytes()[n] as char == quote => {
                    i += n + 2;
                    TokenKind::Str(rest[..n].to_string())
                }
                _ => {
                    return Err(Diagnostic::error(
                        Span::new(i, i + 1),
                        format!("this string is never closed with `{quote}` on the same line"),
                    ))
                }
            }
        } else if c == b'`' {
            match text[i + 1..].find(['`', '\n']) {
                Some(n) if bytes[i + 1 + n] == b'`' && n > 0 => {
                    i += n + 2;
                    TokenKind::QuotedName(text[start + 1..i - 1].to_string())
                }
                _ => {
                    return Err(Diagnostic::error(Span::new(i, i + 1), "this backquoted name is never closed with '`'"))
                }
            }
        } else if c == b'{' {
            i = scan_block(text, i)?;
            TokenKind::Block(text[start + 1..i - 1].to_string())
        } else if let Some(sym) = SYMBOLS.iter().find(|s| text[i..].starts_with(**s)) {
            i += sym.len();
            TokenKind::Sym(sym)
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            return Err(Diagnostic::error(Span::new(i, i + ch.len_utf8()), format!("unexpected character `{ch}`")));
        };
        tokens.push(Token { kind, span: Span::new(start, i) });
    }
    tokens.push(Token { kind: TokenKind::Eof, span: Span::new(text.len(), text.len()) });
    Ok(tokens)
}

/// Scans digits, an optional fraction and exponent, and an optional type suffix.
fn scan_number(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    if i < bytes.len() && matches!(bytes[i], b'l' | b'L' | b'f' | b'F' | b'd' | b'D') {
        let next = bytes.get(i + 1);
        if !next.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            i += 1;
        }
    }
    i
}

/// Scans a `{ … }` script body, skipping braces inside the script's strings and
/// comments; returns the offset after the closing brace.
fn scan_block(text: &str, open: usize) -> Result<usize, Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + n + 3);
            }
            _ => {}
        }
        i += 1;
    }
    Err(Diagnostic::error(Span::new(open, open + 1), "this `{` is never closed with `}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn numbers_with_suffixes() {
        assert_eq!(
            kinds("10L 1.5f 2.0d 3e2"),
            vec![
                TokenKind::Number("10L".into()),
                TokenKind::Number("1.5f".into()),
                TokenKind::Number("2.0d".into()),
                TokenKind::Number("3e2".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn strings_comments_and_blocks() {
        assert_eq!(
            kinds("'a' \"b\" \"\"\"c'\"\"\" -- x\n/* y */ { return '}'; }"),
            vec![
                TokenKind::Str("a".into()),
                TokenKind::Str("b".into()),
                TokenKind::Str("c'".into()),
                TokenKind::Block(" return '}'; ".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn errors_are_located() {
        let e = tokenize("define stream S (a int);\n 'open").unwrap_err();
        assert_eq!(e.span.start, 26);
        assert!(tokenize("12abc").is_err());
        assert!(tokenize("a ^ b").is_err());
    }
}
