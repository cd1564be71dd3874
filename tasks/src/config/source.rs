//! The text of a config file and the mapping from byte offsets to
//! `line:column`.

use std::ops::Range;

/// A config file's name (as the user gave it) and its text.
#[derive(Clone, Debug)]
pub struct Source {
    name: String,
    text: String,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
}

/// A 1-based line and column (the column counts characters, not bytes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Location {
    /// Line number, from 1.
    pub line: usize,
    /// Column number in characters, from 1.
    pub column: usize,
}

impl Source {
    /// Wraps a text with the name under which errors will cite it.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The name errors cite (usually the path as given on the command line).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line and column of a byte offset (clamped to the text, and moved
    /// back to a character boundary).
    pub fn location(&self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        Location { line, column }
    }

    /// A span clamped to the text and to character boundaries, so that it
    /// can be sliced and labelled safely.
    pub fn clamp(&self, span: Range<usize>) -> Range<usize> {
        let mut start = span.start.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.clamp(start, self.text.len());
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        start..end
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let s = Source::new("x.toml", "a = 1\nµs = \"2\"\n");
        assert_eq!(s.location(0), Location { line: 1, column: 1 });
        assert_eq!(s.location(4), Location { line: 1, column: 5 });
        assert_eq!(s.location(6), Location { line: 2, column: 1 });
        // 'µ' is two bytes: the `=` after "µs " is the 4th character.
        assert_eq!(s.location(10), Location { line: 2, column: 4 });
        assert_eq!(s.location(1000), Location { line: 3, column: 1 });
        assert_eq!(s.clamp(7..8), 6..8);
    }
}
