//! Terminal colours: on when the stream is a terminal and `NO_COLOR` is unset.

use std::io::IsTerminal;

/// Whether to colour text written to one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// Whether escape codes are written.
    pub enabled: bool,
}

/// Whether the user asked for no colours (`NO_COLOR` set to anything non-empty).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Style {
    /// Colours for standard output.
    pub fn stdout() -> Style {
        Style {
            enabled: std::io::stdout().is_terminal() && !no_color_requested(),
        }
    }

    /// Colours for standard error.
    pub fn stderr() -> Style {
        Style {
            enabled: std::io::stderr().is_terminal() && !no_color_requested(),
        }
    }

    /// No colours.
    pub fn plain() -> Style {
        Style { enabled: false }
    }

    fn wrap(&self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Red bold, for errors.
    pub fn error(&self, text: &str) -> String {
        self.wrap("1;31", text)
    }

    /// Yellow, for warnings.
    pub fn warn(&self, text: &str) -> String {
        self.wrap("33", text)
    }

    /// Dim, for notes and timings.
    pub fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }

    /// Bold, for headings.
    pub fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }

    /// Cyan, for the caret under an error.
    pub fn caret(&self, text: &str) -> String {
        self.wrap("1;36", text)
    }

    /// Green, for success notes.
    pub fn ok(&self, text: &str) -> String {
        self.wrap("32", text)
    }
}
