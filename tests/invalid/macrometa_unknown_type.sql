-- expect: 2:42: unknown type `text`
CREATE STREAM Trade (symbol string, note text);
