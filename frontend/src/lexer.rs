//! Tokens of the stream-worker language (work in progress).
