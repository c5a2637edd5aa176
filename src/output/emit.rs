//! relaygen's own block-style YAML emitter: a serde [`Serializer`] that writes straight into
//! one `String`.
//!
//! Why not serde-saphyr's serializer, which relaygen used before? Profiling `render --profile
//! prod` showed it at a third of the whole process: it builds every mapping key in a fresh
//! `String`, and runs its full quoting analysis (several passes, one allocation for numbers
//! with `_`) on every scalar. This module writes the *same bytes* — serde-saphyr 2.2.0 with
//! `folded_wrap_chars` and `min_fold_chars` at `usize::MAX`, everything else default — with keys
//! written in place, one table-driven pass over a string's bytes answering the per-byte
//! questions of every quoting rule (the character-level rules remain for non-ASCII text), and
//! block scalars copied line by line after word-at-a-time scans.
//!
//! Byte-identity is the contract, so the layout state machine below is a deliberate, pruned
//! transcription of serde-saphyr's (`ser/serializer.rs`, `ser/serializer/compound.rs`) and the
//! quoting rules of `ser/quoting.rs`, with the same names for the same state. What the pruning
//! removed can not occur with relaygen's options: flow style, anchors, tags, comments, folded
//! (`>`) scalars, `quote_all`, YAML 1.2 mode, an indent step other than 2. Shapes it does not
//! reproduce — byte strings, non-scalar mapping keys, serde-saphyr's own wrapper types — are an
//! error, never different output. `tests/integration/emitter.rs` holds serde-saphyr as the
//! judge: a differential property test over tricky strings and nested shapes, a table of named
//! edge cases, and every document relaygen itself prints.

use std::fmt::{self, Display, Write as _};

use serde::Serialize;
use serde::ser::{self, Serializer};

/// Columns per nesting level (serde-saphyr's default `indent_step`).
const STEP: usize = 2;

/// YAML's limit on an implicit key; longer keys are written in explicit `? key` form.
const SIMPLE_KEY_MAX_LEN: usize = 1024;

/// Why a value could not be written.
#[derive(Debug)]
pub(crate) struct EmitError(String);

impl Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EmitError {}

impl ser::Error for EmitError {
    fn custom<T: Display>(msg: T) -> Self {
        EmitError(msg.to_string())
    }
}

/// A shape this emitter deliberately does not write (see the module documentation).
#[cold]
fn unsupported(what: &str) -> EmitError {
    EmitError(format!("the YAML emitter does not write {what}"))
}

/// serde-saphyr's wrapper types (`FlowSeq`, `LitStr`, `RcAnchor`, ...) announce themselves by
/// these newtype and tuple-struct names; their styles are not reproduced here.
fn is_saphyr_wrapper(name: &str) -> bool {
    name.starts_with("__yaml_")
}

type Result<T> = std::result::Result<T, EmitError>;

/// Appends `value` as one YAML document (ending in a newline) to `out`.
pub(crate) fn document<T: Serialize + ?Sized>(value: &T, out: &mut String) -> Result<()> {
    value.serialize(&mut Emitter::new(out))
}

/// Layout state of one document; the fields mirror serde-saphyr's `SerializerState` and
/// `PendingLayout`, whose interplay decides every line break and indentation.
pub(crate) struct Emitter<'o> {
    out: &'o mut String,
    /// Current nesting depth used for indentation.
    depth: usize,
    /// Whether the cursor is at the start of a line.
    at_line_start: bool,
    /// A mapping key wrote `:`; the space follows once the value turns out to be a scalar.
    pending_space_after_colon: bool,
    /// Emit the first key or element of the next collection right after a `- `.
    pending_inline_map: bool,
    /// The current sequence element is a mapping started inline after its dash.
    inline_map_after_dash: bool,
    /// The last value written was a non-empty block collection.
    last_value_was_block: bool,
    /// Depth of the sequence dash the next node follows.
    after_dash_depth: Option<usize>,
    /// Depth of the block mapping whose value is being written.
    current_map_depth: Option<usize>,
    /// Key column of that mapping when it was opened after `- ` (two past the dash).
    current_map_key_column: Option<usize>,
}

impl<'o> Emitter<'o> {
    fn new(out: &'o mut String) -> Self {
        Emitter {
            out,
            depth: 0,
            at_line_start: true,
            pending_space_after_colon: false,
            pending_inline_map: false,
            inline_map_after_dash: false,
            last_value_was_block: false,
            after_dash_depth: None,
            current_map_depth: None,
            current_map_key_column: None,
        }
    }

    fn push_spaces(&mut self, n: usize) {
        const SPACES: &str = "                                                                ";
        let mut left = n;
        while left > 0 {
            let chunk = left.min(SPACES.len());
            self.out.push_str(&SPACES[..chunk]);
            left -= chunk;
        }
    }

    /// Indentation for `depth`, only when at the start of a line.
    fn write_indent(&mut self, depth: usize) {
        if self.at_line_start {
            self.push_spaces(depth * STEP);
            self.at_line_start = false;
        }
    }

    /// Indentation of a line in a mapping opened after `- `: its keys sit two columns past
    /// the dash rather than a whole level deeper.
    fn write_after_dash_indent(&mut self, depth: usize) {
        self.push_spaces(depth.saturating_sub(1) * STEP + 2);
        self.at_line_start = false;
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.at_line_start = true;
    }

    /// The space after a mapping key's `:`, once the value is known to be a scalar.
    fn write_space_if_pending(&mut self) {
        if self.pending_space_after_colon {
            self.out.push(' ');
            self.pending_space_after_colon = false;
        }
        self.last_value_was_block = false;
    }

    /// Everything before a scalar's text: the pending space or the line's indentation.
    fn begin_scalar(&mut self) {
        self.write_space_if_pending();
        if self.at_line_start {
            self.write_indent(self.depth);
        }
    }

    /// A complete one-line scalar.
    fn scalar(&mut self, text: &str) {
        self.begin_scalar();
        self.out.push_str(text);
        self.newline();
    }

    fn scalar_display(&mut self, value: impl Display) {
        self.begin_scalar();
        // Writing into a String cannot fail.
        let _ = write!(self.out, "{value}");
        self.newline();
    }

    fn scalar_float(&mut self, push: impl FnOnce(&mut String)) {
        self.begin_scalar();
        push(self.out);
        self.newline();
    }

    /// A string in value position: literal block, single-quoted punctuation, plain or
    /// double-quoted, by serde-saphyr's rules.
    fn value_str(&mut self, v: &str) {
        // Multi-line text whose characters a block scalar can hold becomes `|`. Text with a
        // newline that cannot be a block is double-quoted below: `\n` is a control character,
        // so it is never plain.
        if find_newline(v.as_bytes()).is_some() && is_block_scalar_content_safe(v) {
            self.literal_block(v);
            return;
        }
        self.begin_scalar();
        if matches!(v, "." | "#" | "-") {
            self.out.push('\'');
            self.out.push_str(v);
            self.out.push('\'');
        } else if is_plain_value(v) {
            self.out.push_str(v);
        } else {
            push_double_quoted(self.out, v);
        }
        self.newline();
    }

    /// A `|` block scalar: chomping from the trailing newlines, an indentation indicator when
    /// the first line starts with a space, the body one level past the parent node.
    fn literal_block(&mut self, v: &str) {
        let was_map_value = self.pending_space_after_colon;
        self.write_space_if_pending();
        let base = if was_map_value {
            self.current_map_depth.unwrap_or(self.depth)
        } else {
            self.after_dash_depth.unwrap_or(self.depth)
        };
        if self.at_line_start {
            self.write_indent(base);
        }
        let parent_column = match (was_map_value, self.current_map_key_column) {
            (true, Some(column)) => column,
            _ => base * STEP,
        };
        let body_column = parent_column + STEP;
        let content = v.trim_end_matches('\n');
        let trailing_newlines = v.len() - content.len();
        self.out.push('|');
        // The first non-empty line starts at the first byte that is not a line break.
        if content.bytes().find(|&b| b != b'\n') == Some(b' ') {
            // Indentation indicator: the body is one STEP (2) past the parent.
            self.out.push('2');
        }
        match trailing_newlines {
            0 => self.out.push('-'),
            // Clip chomping keeps exactly one newline, but none of an empty block.
            1 if !content.is_empty() => {}
            _ => self.out.push('+'),
        }
        self.newline();
        if content.is_empty() {
            for _ in 0..trailing_newlines {
                self.newline();
            }
            return;
        }
        // Config files and scripts are most of relaygen's output: find each line break with
        // a word-at-a-time scan and copy each line with its break in one go, rather than
        // iterating characters. A line is indented only when it is not empty, which the byte
        // after the previous break tells (`content` does not end in a break).
        let bytes = content.as_bytes();
        let mut start = 0;
        loop {
            if bytes[start] != b'\n' {
                self.push_spaces(body_column);
            }
            match find_newline(&bytes[start..]) {
                Some(offset) => {
                    let end = start + offset + 1;
                    self.out.push_str(&content[start..end]);
                    start = end;
                }
                None => {
                    self.out.push_str(&content[start..]);
                    self.out.push('\n');
                    break;
                }
            }
        }
        self.at_line_start = true;
        for _ in 1..trailing_newlines {
            self.newline();
        }
    }

    /// The `Variant:` label of an externally tagged enum, written like a mapping key.
    fn variant_label(&mut self, variant: &str) {
        push_key_str(self.out, variant);
    }
}

impl<'a, 'o> Serializer for &'a mut Emitter<'o> {
    type Ok = ();
    type Error = EmitError;
    type SerializeSeq = SeqEmitter<'a, 'o>;
    type SerializeTuple = SeqEmitter<'a, 'o>;
    type SerializeTupleStruct = SeqEmitter<'a, 'o>;
    type SerializeTupleVariant = SeqEmitter<'a, 'o>;
    type SerializeMap = MapEmitter<'a, 'o>;
    type SerializeStruct = MapEmitter<'a, 'o>;
    type SerializeStructVariant = StructVariantEmitter<'a, 'o>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.scalar(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.scalar_display(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.scalar_float(|out| push_f32(out, v));
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.scalar_float(|out| push_f64(out, v));
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        // serde-saphyr consumes the pending space before the string logic sees it; that
        // changes where a `'\n'` block scalar is indented from, so do the same.
        self.write_space_if_pending();
        self.value_str(v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.value_str(v);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<()> {
        Err(unsupported("byte strings"))
    }
    fn serialize_none(self) -> Result<()> {
        self.scalar("null");
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.scalar("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.scalar("null");
        Ok(())
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        // As serde-saphyr: the pending space first, then the name as a string value.
        self.write_space_if_pending();
        self.value_str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<()> {
        if is_saphyr_wrapper(name) {
            return Err(unsupported(&format!("serde-saphyr's `{name}` wrapper")));
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        if self.pending_space_after_colon {
            // `key: Variant: value` is not YAML: the variant goes on the next line, one level
            // under the parent mapping.
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
            let variant_depth = self.current_map_depth.unwrap_or(self.depth) + 1;
            self.write_indent(variant_depth);
            self.variant_label(variant);
            self.out.push(':');
            self.pending_space_after_colon = true;
            self.at_line_start = false;
            self.pending_inline_map = false;
            let previous_map_depth = self.current_map_depth.replace(variant_depth);
            let previous_key_column = self.current_map_key_column.take();
            let result = value.serialize(&mut *self);
            self.current_map_depth = previous_map_depth;
            self.current_map_key_column = previous_key_column;
            return result;
        }
        if self.at_line_start {
            self.write_indent(self.depth);
        }
        self.variant_label(variant);
        self.out.push(':');
        self.pending_space_after_colon = true;
        self.at_line_start = false;
        self.pending_inline_map = false;
        match self.after_dash_depth.take() {
            // `- Variant:`: the payload indents under the label, two columns past the dash.
            Some(dash) => {
                let previous_map_depth = self.current_map_depth.replace(dash + 1);
                let previous_key_column = self.current_map_key_column.replace(dash * STEP + 2);
                let result = value.serialize(&mut *self);
                self.current_map_depth = previous_map_depth;
                self.current_map_key_column = previous_key_column;
                result
            }
            None => value.serialize(&mut *self),
        }
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<SeqEmitter<'a, 'o>> {
        let was_inline_value = !self.at_line_start;
        // A sequence value right after a block sibling starts on a fresh line.
        if self.pending_space_after_colon && self.last_value_was_block {
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
            self.last_value_was_block = false;
        }
        // Nested right after another dash: `- - 1`.
        let after_dash = !self.at_line_start && self.after_dash_depth.is_some() && !self.pending_space_after_colon;
        let depth = if after_dash {
            self.after_dash_depth.unwrap_or(self.depth) + 1
        } else if was_inline_value {
            // Compact list indentation: a mapping value's dashes sit at the key's column.
            match self.current_map_depth {
                Some(map_depth) => map_depth,
                None => self.depth + 1,
            }
        } else {
            self.depth
        };
        Ok(SeqEmitter { e: self, depth, first: true })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqEmitter<'a, 'o>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<SeqEmitter<'a, 'o>> {
        if is_saphyr_wrapper(name) {
            return Err(unsupported(&format!("serde-saphyr's `{name}` wrapper")));
        }
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<SeqEmitter<'a, 'o>> {
        let depth = self.variant_header(variant);
        Ok(SeqEmitter { e: self, depth, first: true })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapEmitter<'a, 'o>> {
        let inline_first = self.pending_inline_map;
        let was_inline_value = self.pending_space_after_colon;
        let mut forced_newline = false;
        // A mapping value right after a block sibling starts on a fresh line.
        if was_inline_value && self.last_value_was_block {
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
            forced_newline = true;
            self.last_value_was_block = false;
        }
        if inline_first {
            // First key on the dash's line: `- key: value`.
            self.pending_inline_map = false;
            self.inline_map_after_dash = true;
        } else if was_inline_value && matches!(len, Some(n) if n > 0) {
            // A known non-empty mapping value starts on the next line; an empty one stays
            // inline as `key: {}`, an unknown-length one decides at its first key.
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
        }
        let depth = if inline_first {
            self.after_dash_depth.unwrap_or(self.depth) + 1
        } else if was_inline_value {
            self.current_map_depth.unwrap_or(self.depth) + 1
        } else {
            self.depth
        };
        let inline_value_start = was_inline_value && len.is_none() && !inline_first && !forced_newline;
        Ok(MapEmitter {
            e: self,
            depth,
            align_after_dash: inline_first,
            inline_value_start,
            entries: 0,
            explicit_key: false,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapEmitter<'a, 'o>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<StructVariantEmitter<'a, 'o>> {
        let depth = self.variant_header(variant);
        Ok(StructVariantEmitter { e: self, depth, fields_written: false })
    }
}

impl Emitter<'_> {
    /// The `Variant:` line of a tuple or struct variant; returns the depth of its contents.
    fn variant_header(&mut self, variant: &str) -> usize {
        if self.pending_space_after_colon {
            // As a mapping value: on the next line, one level under the parent mapping.
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
            let label_depth = self.current_map_depth.unwrap_or(self.depth) + 1;
            self.write_indent(label_depth);
            self.variant_label(variant);
            self.out.push_str(":\n");
            self.at_line_start = true;
            self.pending_inline_map = false;
            return label_depth + 1;
        }
        if self.at_line_start {
            self.write_indent(self.depth);
        }
        self.variant_label(variant);
        self.out.push_str(":\n");
        self.at_line_start = true;
        match self.after_dash_depth.take() {
            // `- Variant:`: contents deeper than the label, which sits past the dash.
            Some(dash) => {
                self.pending_inline_map = false;
                dash + 2
            }
            None => self.depth + 1,
        }
    }
}

/// A block sequence (serde-saphyr's `SeqSer`).
pub(crate) struct SeqEmitter<'a, 'o> {
    e: &'a mut Emitter<'o>,
    /// Depth of the dashes.
    depth: usize,
    first: bool,
}

impl ser::SerializeSeq for SeqEmitter<'_, '_> {
    type Ok = ();
    type Error = EmitError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let e = &mut *self.e;
        // A mapping value's sequence deferred its line break until it proved non-empty.
        if self.first && e.pending_space_after_colon {
            e.pending_space_after_colon = false;
            if !e.at_line_start {
                e.newline();
            }
            e.pending_inline_map = false;
        }
        if !self.first {
            e.inline_map_after_dash = false;
        }
        // The first element of a sequence nested after a dash stays on that line.
        if !(self.first && (!e.at_line_start || e.pending_inline_map)) {
            e.write_indent(self.depth);
        }
        e.out.push_str("- ");
        e.at_line_start = false;
        if self.first {
            e.inline_map_after_dash = false;
        }
        e.after_dash_depth = Some(self.depth);
        e.pending_inline_map = true;
        e.last_value_was_block = false;
        value.serialize(&mut *e)?;
        self.first = false;
        Ok(())
    }

    fn end(self) -> Result<()> {
        let e = self.e;
        if self.first {
            // Empty: `[]`, inline after a key.
            if e.pending_space_after_colon {
                e.out.push(' ');
                e.pending_space_after_colon = false;
            } else if e.at_line_start {
                e.write_indent(self.depth);
            }
            e.out.push_str("[]");
            e.newline();
        } else {
            e.last_value_was_block = true;
            e.pending_inline_map = false;
            e.after_dash_depth = None;
            e.inline_map_after_dash = false;
        }
        Ok(())
    }
}

impl ser::SerializeTuple for SeqEmitter<'_, '_> {
    type Ok = ();
    type Error = EmitError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqEmitter<'_, '_> {
    type Ok = ();
    type Error = EmitError;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for SeqEmitter<'_, '_> {
    type Ok = ();
    type Error = EmitError;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

/// A block mapping (serde-saphyr's `MapSer` in block layout).
pub(crate) struct MapEmitter<'a, 'o> {
    e: &'a mut Emitter<'o>,
    /// Depth of the keys.
    depth: usize,
    /// Opened after `- `: the keys align two columns past the dash.
    align_after_dash: bool,
    /// An unknown-length mapping value is still on its key's line (it may yet be `{}`).
    inline_value_start: bool,
    entries: usize,
    /// The pending key was written in explicit `? key` form.
    explicit_key: bool,
}

impl ser::SerializeMap for MapEmitter<'_, '_> {
    type Ok = ();
    type Error = EmitError;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        let e = &mut *self.e;
        if std::mem::take(&mut self.inline_value_start) {
            e.pending_space_after_colon = false;
            if !e.at_line_start {
                e.newline();
            }
        } else if !e.at_line_start {
            e.write_space_if_pending();
        }
        e.after_dash_depth = None;
        e.pending_inline_map = false;
        e.last_value_was_block = false;
        // The indentation is the same for `key:` and `? key`: a mapping aligned after a dash
        // has depth >= 1, where both forms put the key at `depth * STEP`.
        if self.align_after_dash && e.at_line_start {
            e.write_after_dash_indent(self.depth);
        } else {
            e.write_indent(self.depth);
        }
        // The key text goes straight into the output; no per-key String.
        let start = e.out.len();
        key.serialize(KeySink { out: e.out })?;
        let key_text = &e.out[start..];
        if key_text.len() <= SIMPLE_KEY_MAX_LEN || key_text.chars().count() <= SIMPLE_KEY_MAX_LEN {
            e.out.push(':');
            e.pending_space_after_colon = true;
            e.at_line_start = false;
            self.explicit_key = false;
        } else {
            // Too long for an implicit key: `? key` on its own line, `: value` below.
            e.out.insert_str(start, "? ");
            e.newline();
            self.explicit_key = true;
        }
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let e = &mut *self.e;
        let explicit_key = std::mem::take(&mut self.explicit_key);
        let saved_pending_inline_map = e.pending_inline_map;
        let saved_depth = e.depth;
        if explicit_key {
            if self.align_after_dash && e.at_line_start {
                e.write_after_dash_indent(self.depth);
            } else {
                e.write_indent(self.depth);
            }
            e.out.push(':');
            e.pending_space_after_colon = true;
            e.pending_inline_map = true;
            e.at_line_start = false;
            e.depth = self.depth;
        }
        let previous_map_depth = e.current_map_depth.replace(self.depth);
        let key_column = self.align_after_dash.then(|| self.depth.saturating_sub(1) * STEP + 2);
        let previous_key_column = std::mem::replace(&mut e.current_map_key_column, key_column);
        let result = value.serialize(&mut *e);
        e.current_map_depth = previous_map_depth;
        e.current_map_key_column = previous_key_column;
        e.pending_inline_map = saved_pending_inline_map;
        if explicit_key {
            e.depth = saved_depth;
        }
        result?;
        self.entries += 1;
        Ok(())
    }

    fn end(self) -> Result<()> {
        let e = self.e;
        if self.entries == 0 {
            // Empty: `{}`, inline after a key.
            if e.pending_space_after_colon {
                e.out.push(' ');
                e.pending_space_after_colon = false;
            }
            if e.at_line_start {
                if self.align_after_dash {
                    e.write_after_dash_indent(self.depth);
                } else {
                    e.write_indent(self.depth);
                }
            }
            e.out.push_str("{}");
            e.newline();
        } else {
            e.last_value_was_block = true;
        }
        Ok(())
    }
}

impl ser::SerializeStruct for MapEmitter<'_, '_> {
    type Ok = ();
    type Error = EmitError;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        ser::SerializeMap::serialize_key(self, key)?;
        ser::SerializeMap::serialize_value(self, value)
    }
    fn end(self) -> Result<()> {
        ser::SerializeMap::end(self)
    }
}

/// The fields of a struct variant under its `Variant:` line (serde-saphyr's
/// `StructVariantSer`, external form).
pub(crate) struct StructVariantEmitter<'a, 'o> {
    e: &'a mut Emitter<'o>,
    depth: usize,
    fields_written: bool,
}

impl ser::SerializeStructVariant for StructVariantEmitter<'_, '_> {
    type Ok = ();
    type Error = EmitError;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        let e = &mut *self.e;
        e.write_indent(self.depth);
        push_key_str(e.out, key);
        e.out.push(':');
        e.pending_space_after_colon = true;
        e.at_line_start = false;
        let previous_map_depth = e.current_map_depth.replace(self.depth);
        let previous_key_column = e.current_map_key_column.take();
        let result = value.serialize(&mut *e);
        e.current_map_depth = previous_map_depth;
        e.current_map_key_column = previous_key_column;
        result?;
        self.fields_written = true;
        Ok(())
    }

    fn end(self) -> Result<()> {
        if !self.fields_written {
            self.e.write_indent(self.depth);
            self.e.out.push_str("{}");
            self.e.newline();
        }
        Ok(())
    }
}

/// Writes a scalar mapping key (serde-saphyr's `KeySinkSerializer`); anything else is an error.
struct KeySink<'a> {
    out: &'a mut String,
}

impl KeySink<'_> {
    fn display(self, value: impl Display) -> Result<()> {
        let _ = write!(self.out, "{value}");
        Ok(())
    }
}

impl Serializer for KeySink<'_> {
    type Ok = ();
    type Error = EmitError;
    type SerializeSeq = ser::Impossible<(), EmitError>;
    type SerializeTuple = ser::Impossible<(), EmitError>;
    type SerializeTupleStruct = ser::Impossible<(), EmitError>;
    type SerializeTupleVariant = ser::Impossible<(), EmitError>;
    type SerializeMap = ser::Impossible<(), EmitError>;
    type SerializeStruct = ser::Impossible<(), EmitError>;
    type SerializeStructVariant = ser::Impossible<(), EmitError>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.display(v)
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.display(v)
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.display(v)
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.display(v)
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.display(v)
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.display(v)
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.display(v)
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.display(v)
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.display(v)
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        push_f32(self.out, v);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        push_f64(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        push_key_str(self.out, v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        push_key_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<()> {
        Err(unsupported("non-scalar mapping keys"))
    }
    fn serialize_none(self) -> Result<()> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        push_key_str(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<()> {
        if is_saphyr_wrapper(name) {
            return Err(unsupported(&format!("serde-saphyr's `{name}` wrapper")));
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        Err(unsupported("non-scalar mapping keys"))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(unsupported("non-scalar mapping keys"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(unsupported("non-scalar mapping keys"))
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct> {
        Err(unsupported("non-scalar mapping keys"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(unsupported("non-scalar mapping keys"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(unsupported("non-scalar mapping keys"))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(unsupported("non-scalar mapping keys"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(unsupported("non-scalar mapping keys"))
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars. The rules are serde-saphyr's `quoting.rs` with `yaml_12: false`; the comments say
// which reader each rule protects.
// ---------------------------------------------------------------------------------------------

/// A key is plain when it is safe both as a key (no `:`, never `<<`, no YAML 1.2 ambiguity)
/// and as a flow value (no `,[]{}`).
fn push_key_str(out: &mut String, s: &str) {
    // Keys are almost always words (`apiVersion`, `app.kubernetes.io/name`); anything else
    // takes the full rules.
    let plain = if is_word(s, classify(s.as_bytes())) {
        !is_reserved_word(s)
    } else {
        is_plain_key_safe(s) && is_plain_value_safe(s, true)
    };
    if plain {
        out.push_str(s);
    } else {
        push_double_quoted(out, s);
    }
}

/// Whether a block value can stay plain: [`is_plain_value_safe`] in block position, decided
/// from one pass over the bytes for ASCII text.
fn is_plain_value(s: &str) -> bool {
    let classes = classify(s.as_bytes());
    if classes & NON_ASCII != 0 {
        return is_plain_value_safe(s, false);
    }
    is_plain_ascii_value(s, classes)
}

// Byte classes, OR-ed over a string by [`classify`] so that one pass answers every per-byte
// question the quoting rules ask.

/// C0 controls and DEL: for an ASCII character, exactly what [`needs_escaping`] matches.
const CONTROL: u8 = 1;
/// A byte of a multi-byte UTF-8 character; such text takes the character-level rules.
const NON_ASCII: u8 = 1 << 1;
/// `:`, which may start a mapping value (`: `) or end a key.
const COLON: u8 = 1 << 2;
/// `#`, which may start a comment (` #`).
const HASH: u8 = 1 << 3;
/// Outside `[A-Za-z0-9._/-]`, the bytes of a word that needs no further checks.
const NOT_WORD: u8 = 1 << 4;
/// A byte that no number of [`is_numeric`] (YAML 1.1) contains; see [`is_number_byte`].
const NOT_NUMERIC: u8 = 1 << 5;

const fn byte_class(b: u8) -> u8 {
    let mut class = 0;
    if b < 0x20 || b == 0x7F {
        class |= CONTROL;
    }
    if b >= 0x80 {
        class |= NON_ASCII;
    }
    if b == b':' {
        class |= COLON;
    }
    if b == b'#' {
        class |= HASH;
    }
    if !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-')) {
        class |= NOT_WORD;
    }
    if !is_number_byte(b) {
        class |= NOT_NUMERIC;
    }
    class
}

/// Every byte [`is_numeric`]`(_, false)` can accept: signs, digits, `_`, `.` and `:`
/// (decimals, exponents `e`/`E`, base 60), the hex digits and the radix letters `bBoOxX`,
/// and the letters of `.inf` and `.nan` in any case. Text with any other byte is no number,
/// which settles `128Mi`, `100m` or `2h` without parsing them.
const fn is_number_byte(b: u8) -> bool {
    b.is_ascii_hexdigit()
        || matches!(b, b'+' | b'-' | b'.' | b'_' | b':' | b'x' | b'X' | b'o' | b'O' | b'i' | b'I' | b'n' | b'N')
}

/// [`byte_class`] of every byte value.
static BYTE_CLASSES: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = byte_class(b as u8);
        b += 1;
    }
    table
};

/// The union of the classes of `bytes`.
#[inline]
fn classify(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |classes, &b| classes | BYTE_CLASSES[usize::from(b)])
}

/// A word starting with a letter, made of letters, digits and `._/-` (names, images, paths,
/// camelCase keys). Such a string trips none of the quoting rules but the reserved words.
#[inline]
fn is_word(s: &str, classes: u8) -> bool {
    classes & NOT_WORD == 0 && s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
}

/// [`is_plain_value_safe`]`(s, false)` for ASCII `s` whose [`classify`] is `classes`. The
/// rules are a conjunction, so they may be checked in any order; each is restated for what
/// ASCII text without control characters can contain, which the comments justify.
fn is_plain_ascii_value(s: &str, classes: u8) -> bool {
    debug_assert!(classes & NON_ASCII == 0);
    if is_word(s, classes) {
        return !is_reserved_word(s);
    }
    // `needs_escaping` of an ASCII character is `is_control`: C0 and DEL.
    if classes & CONTROL != 0 {
        return false;
    }
    let bytes = s.as_bytes();
    // The empty string is ambiguous (null).
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    // With no control characters left, a space is the only byte that any white-space test
    // here (`u8::is_ascii_whitespace`, `char::is_whitespace`, `str::trim`) matches.
    if first == b' ' || last == b' ' {
        return false;
    }
    match bytes {
        [b'-' | b'?', b' ', ..] => return false,
        [b'-' | b'?']
        | [
            b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%'
            | b'@' | b'`',
            ..,
        ] => return false,
        _ => {}
    }
    // `s.trim().ends_with(':')`: the trim is a no-op, the last byte is not a space.
    if last == b':' || (classes & COLON != 0 && has_pair(bytes, b':', b' ')) {
        return false;
    }
    // `has_comment_start`: the character before a `#` can only be white space as a space.
    if classes & HASH != 0 && has_pair(bytes, b' ', b'#') {
        return false;
    }
    !starts_with_document_marker(s) && !is_ambiguous_untrimmed(s, classes)
}

/// Whether `first` is immediately followed by `second` somewhere in `bytes`.
fn has_pair(bytes: &[u8], first: u8, second: u8) -> bool {
    bytes.windows(2).any(|pair| pair[0] == first && pair[1] == second)
}

/// [`is_ambiguous`]`(s, false)` for ASCII `s` with no YAML white space at either end, whose
/// [`classify`] is `classes`. Every word it compares with (`null`, `false`, `+inf`, `off`,
/// `<<`, ...) has at most 5 bytes, and the YAML 1.1 booleans are compared after a trim that
/// changes nothing here; so longer text can only be ambiguous as a number or a timestamp, and
/// only text of number bytes can be a number.
fn is_ambiguous_untrimmed(s: &str, classes: u8) -> bool {
    (s.len() <= 5 && is_ambiguous_word(s, false))
        || (classes & NOT_NUMERIC == 0 && is_numeric(s, false))
        || is_yaml11_timestamp(s)
}

/// The words YAML 1.1 or 1.2 readers take for null, booleans or float specials.
fn is_reserved_word(s: &str) -> bool {
    // Every word starts with one of `ntfyoi` in either case (`| 0x20` lowercases exactly the
    // letters; no other byte maps onto these six): most short keys (`name`, `kind`, `spec`,
    // `data`) are told apart by their first byte.
    s.len() <= 5
        && s.as_bytes().first().is_some_and(|b| matches!(b | 0x20, b'n' | b't' | b'f' | b'y' | b'o' | b'i'))
        && ["null", "true", "false", "nan", "inf", "yes", "y", "on", "no", "n", "off"]
            .iter()
            .any(|word| s.eq_ignore_ascii_case(word))
}

/// serde-saphyr's `is_plain_safe` (key position).
fn is_plain_key_safe(s: &str) -> bool {
    if is_ambiguous(s, true) || s == "<<" || starts_with_document_marker(s) {
        return false;
    }
    let bytes = s.as_bytes();
    // Surrounding whitespace of a plain key is not part of it.
    if bytes.first().is_some_and(u8::is_ascii_whitespace) || bytes.last().is_some_and(u8::is_ascii_whitespace) {
        return false;
    }
    // `-` and `?` are indicators only alone or before white space (`-a`, `?q` stay plain).
    match bytes[0] {
        b'-' | b'?' if bytes.len() == 1 || bytes[1].is_ascii_whitespace() => return false,
        b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%'
        | b'@' | b'`' => return false,
        _ => {}
    }
    !s.chars().any(|c| c == ':' || needs_escaping(c)) && !has_comment_start(s)
}

/// serde-saphyr's `is_plain_value_safe` with `yaml_12: false`, block or flow position.
fn is_plain_value_safe(s: &str, in_flow: bool) -> bool {
    if is_ambiguous(s, false) || starts_with_document_marker(s) {
        return false;
    }
    let bytes = s.as_bytes();
    // Plain scalars lose surrounding whitespace.
    if bytes.first().is_some_and(u8::is_ascii_whitespace) || bytes.last().is_some_and(u8::is_ascii_whitespace) {
        return false;
    }
    match bytes {
        [b'-' | b'?', b1, ..] if b1.is_ascii_whitespace() => return false,
        [b'-' | b'?']
        | [
            b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%'
            | b'@' | b'`',
            ..,
        ] => return false,
        _ => {}
    }
    // `: ` would start a mapping; a trailing `:` too (trimmed of Unicode white space, as
    // serde-saphyr does).
    if s.contains(": ") || s.trim().ends_with(':') {
        return false;
    }
    let flow_indicator = |c: char| in_flow && matches!(c, ',' | '[' | ']' | '{' | '}');
    !s.chars().any(|c| needs_escaping(c) || flow_indicator(c)) && !has_comment_start(s)
}

/// Whether a reader could resolve the plain text to something other than this string.
fn is_ambiguous(s: &str, yaml_12: bool) -> bool {
    s.is_empty() || is_ambiguous_word(s, yaml_12) || is_numeric(s, yaml_12) || (!yaml_12 && is_yaml11_timestamp(s))
}

/// The words among [`is_ambiguous`]'s cases: null, booleans, float specials, merge keys.
fn is_ambiguous_word(s: &str, yaml_12: bool) -> bool {
    s == "~"
        || s.eq_ignore_ascii_case("null")
        || s.eq_ignore_ascii_case("true")
        || s.eq_ignore_ascii_case("false")
        || s.eq_ignore_ascii_case("nan")
        || s.eq_ignore_ascii_case("inf")
        || s.eq_ignore_ascii_case("+inf")
        || s.eq_ignore_ascii_case("-inf")
        || (!yaml_12 && (is_yaml11_bool(s) || matches!(s, "<<" | "=")))
}

/// YAML 1.1 booleans, read after trimming YAML white space (serde-saphyr's `parse_yaml11_bool`).
fn is_yaml11_bool(s: &str) -> bool {
    let t = s.trim_matches([' ', '\t', '\r', '\n']);
    ["true", "yes", "y", "on", "false", "no", "n", "off"].iter().any(|word| t.eq_ignore_ascii_case(word))
}

/// Numeric syntax of YAML 1.2 and (with `yaml_12: false`) YAML 1.1, without building a value.
fn is_numeric(s: &str, yaml_12: bool) -> bool {
    if !matches!(s.as_bytes().first(), Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')) {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if !yaml_12 {
        if is_yaml11_sexagesimal(s) {
            return true;
        }
        if let Some((radix, digits)) = radix_digits(unsigned)
            && is_digit_run(digits, radix, false)
        {
            return true;
        }
    }
    // YAML 1.1 readers (Go's) drop `_` before resolving numbers. Only strings that start like
    // a number and contain `_` get here, so this allocation is rare.
    let normalized;
    let s = if !yaml_12 && s.contains('_') {
        normalized = s.replace('_', "");
        normalized.as_str()
    } else {
        s
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if let Some((radix, digits)) = radix_digits(unsigned) {
        let digits = if !yaml_12 && (s.starts_with("0b") || s.starts_with("0o")) {
            digits.strip_prefix(['+', '-']).unwrap_or(digits)
        } else {
            digits
        };
        return is_digit_run(digits, radix, true);
    }
    let mantissa = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if !is_digit_run(exponent, 10, true) {
                return false;
            }
            mantissa
        }
        None => unsigned,
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !is_digit_run(whole, 10, true) {
                return false;
            }
            if !yaml_12 {
                fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            } else if fraction.is_empty() {
                !whole.is_empty()
            } else {
                is_digit_run(fraction, 10, true)
            }
        }
        None => is_digit_run(mantissa, 10, true),
    }
}

fn radix_digits(s: &str) -> Option<(u32, &str)> {
    match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => Some((2, &s[2..])),
        [b'0', b'o' | b'O', ..] => Some((8, &s[2..])),
        [b'0', b'x' | b'X', ..] => Some((16, &s[2..])),
        _ => None,
    }
}

fn is_digit_run(s: &str, radix: u32, strict_underscores: bool) -> bool {
    let is_digit = |b: u8| b.is_ascii() && char::from(b).is_digit(radix);
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(i, &b)| {
            is_digit(b)
                || (b == b'_'
                    && (!strict_underscores
                        || (i > 0 && is_digit(bytes[i - 1]) && bytes.get(i + 1).is_some_and(|&next| is_digit(next)))))
        })
}

/// YAML 1.1 base-60 numbers such as `12:30` (a Kubernetes port list's old trap).
fn is_yaml11_sexagesimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let Some((first, rest)) = integer.split_once(':') else {
        return false;
    };
    let Some(first_digit) = first.as_bytes().first() else {
        return false;
    };
    if !first_digit.is_ascii_digit()
        || (fraction.is_none() && *first_digit == b'0')
        || !first.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    if !rest.split(':').all(|part| match part.as_bytes() {
        [digit] => digit.is_ascii_digit(),
        [tens, units] => matches!(tens, b'0'..=b'5') && units.is_ascii_digit(),
        _ => false,
    }) {
        return false;
    }
    fraction.is_none_or(|part| part.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

/// YAML 1.1 timestamps, by syntax only (a reader tags them before validating the date).
fn is_yaml11_timestamp(mut s: &str) -> bool {
    fn digits(s: &mut &str, min: usize, max: usize) -> bool {
        let len = s.bytes().take_while(u8::is_ascii_digit).count();
        if !(min..=max).contains(&len) {
            return false;
        }
        *s = &s[len..];
        true
    }
    fn prefix(s: &mut &str, ch: char) -> bool {
        match s.strip_prefix(ch) {
            Some(rest) => {
                *s = rest;
                true
            }
            None => false,
        }
    }
    if !digits(&mut s, 4, 4)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if s.is_empty() {
        return true;
    }
    if let Some(rest) = s.strip_prefix(['T', 't']) {
        s = rest;
    } else {
        let rest = s.trim_start_matches([' ', '\t']);
        if rest.len() == s.len() {
            return false;
        }
        s = rest;
    }
    if !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if prefix(&mut s, '.') || prefix(&mut s, ',') {
        digits(&mut s, 0, usize::MAX);
    }
    s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() || s == "Z" {
        return true;
    }
    if !(prefix(&mut s, '+') || prefix(&mut s, '-')) || !digits(&mut s, 1, 2) {
        return false;
    }
    if prefix(&mut s, ':') && !digits(&mut s, 2, 2) {
        return false;
    }
    s.is_empty()
}

fn starts_with_document_marker(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("---").or_else(|| s.strip_prefix("...")) else {
        return false;
    };
    rest.is_empty() || rest.as_bytes().first().is_some_and(u8::is_ascii_whitespace)
}

/// `#` after white space starts a comment in plain style.
fn has_comment_start(s: &str) -> bool {
    s.match_indices('#').any(|(index, _)| s[..index].chars().next_back().is_some_and(char::is_whitespace))
}

/// Characters that only survive in double quotes, as an escape.
fn needs_escaping(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Whether a `|` block can hold the text literally: printable characters, tab and newline;
/// `\r` (a reader normalises it) and the Unicode line separators need escapes instead.
fn is_block_scalar_content_safe(s: &str) -> bool {
    // The common case (config files, scripts, JSON) is printable ASCII; a vectorisable scan
    // settles it, and anything else is decided character by character below.
    if !has_byte_outside_printable_ascii(s.as_bytes()) {
        return true;
    }
    s.chars().all(|c| match c {
        '\n' | '\t' => true,
        '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' => false,
        c => matches!(c as u32, 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x0010_FFFF),
    })
}

/// Whether any byte is other than newline, tab or printable ASCII. The bytes are folded 32 at a
/// time without an early exit inside a chunk, which the compiler turns into a few vector
/// instructions per chunk.
fn has_byte_outside_printable_ascii(bytes: &[u8]) -> bool {
    let outside = |b: u8| !matches!(b, b'\n' | b'\t' | 0x20..=0x7E);
    let (chunks, rest) = bytes.as_chunks::<32>();
    chunks.iter().any(|chunk| chunk.iter().fold(false, |found, &b| found | outside(b)))
        || rest.iter().any(|&b| outside(b))
}

/// The index of the first `\n` in `bytes`, eight bytes at a time: the classic test for a zero
/// byte in a word, applied to the word XOR-ed with newlines. Only bytes above a true zero byte
/// can be flagged falsely (by the borrow), so the lowest flag is exact.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let (words, rest) = bytes.as_chunks::<8>();
    for (index, word) in words.iter().enumerate() {
        // Little-endian so that the lowest bits are the first byte.
        let x = u64::from_le_bytes(*word) ^ NEWLINES;
        let zero_bytes = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero_bytes != 0 {
            return Some(index * 8 + zero_bytes.trailing_zeros() as usize / 8);
        }
    }
    rest.iter().position(|&b| b == b'\n').map(|offset| words.len() * 8 + offset)
}

/// A double-quoted scalar with YAML's escapes.
fn push_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    // Copy runs of characters that stand for themselves in one go; only escapes and non-ASCII
    // characters (whose escapes are decided per character) are written one by one.
    let bytes = s.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, 0x20..=0x7E) && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(&s[run_start..i]);
        let Some(c) = s[i..].chars().next() else { break };
        push_double_quoted_char(out, c);
        i += c.len_utf8();
        run_start = i;
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

/// One character inside double quotes: its escape, or itself.
fn push_double_quoted_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        '\0' => out.push_str("\\0"),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\u{b}' => out.push_str("\\v"),
        '\u{c}' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        '\u{1b}' => out.push_str("\\e"),
        '\u{FEFF}' => out.push_str("\\uFEFF"),
        '\u{0085}' => out.push_str("\\N"),
        '\u{2028}' => out.push_str("\\L"),
        '\u{2029}' => out.push_str("\\P"),
        c if (c as u32) <= 0xFF && (c.is_control() || (0x7F..=0x9F).contains(&(c as u32))) => {
            let _ = write!(out, "\\x{:02X}", c as u32);
        }
        c if (c as u32) <= 0xFFFF && needs_escaping(c) => {
            let _ = write!(out, "\\u{:04X}", c as u32);
        }
        c => out.push(c),
    }
}

fn push_f64(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str(".nan");
    } else if v.is_infinite() {
        out.push_str(if v.is_sign_positive() { ".inf" } else { "-.inf" });
    } else {
        push_finite_float(out, zmij::Buffer::new().format_finite(v));
    }
}

fn push_f32(out: &mut String, v: f32) {
    if v.is_nan() {
        out.push_str(".nan");
    } else if v.is_infinite() {
        out.push_str(if v.is_sign_positive() { ".inf" } else { "-.inf" });
    } else {
        push_finite_float(out, zmij::Buffer::new().format_finite(v));
    }
}

/// zmij's shortest round-trip digits, made a YAML 1.1 float: the mantissa always has a `.`
/// (`4e-6` → `4.0e-6`, `1` → `1.0`) and the exponent a sign (`1e20` → `1.0e+20`).
fn push_finite_float(out: &mut String, s: &str) {
    match s.find(['e', 'E']) {
        Some(exp) => {
            out.push_str(&s[..exp]);
            if !s[..exp].contains('.') {
                out.push_str(".0");
            }
            out.push_str(&s[exp..=exp]);
            if !matches!(s.as_bytes().get(exp + 1), Some(b'+' | b'-')) {
                out.push('+');
            }
            out.push_str(&s[exp + 1..]);
        }
        None => {
            out.push_str(s);
            if !s.contains('.') {
                out.push_str(".0");
            }
        }
    }
}

/// The byte-level fast paths against the character-level rules they stand in for. The
/// integration tests hold the whole emitter to serde-saphyr; these pin each shortcut to its
/// reference on strings built to hit chunk boundaries and every special byte.
#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::*;

    const PIECES: &[&str] = &[
        "a",
        "Z",
        "n",
        "No",
        "off",
        "0",
        "1",
        "9",
        "e",
        "x",
        ":",
        ": ",
        " ",
        " #",
        "#",
        "\n",
        "\n\n",
        "\t",
        "\r",
        "\u{7f}",
        "\u{0}",
        "\u{1b}",
        "-",
        "?",
        ".",
        "_",
        "/",
        "+",
        ",",
        "[",
        "]",
        "{",
        "}",
        "&",
        "*",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "'",
        "\"",
        "\\",
        "~",
        "<<",
        "=",
        "---",
        "...",
        "null",
        "y",
        "on",
        "true",
        "False",
        "-.inf",
        "+.Inf",
        ".NaN",
        "0o7",
        "0O7",
        "0B1",
        "0X1",
        "1E3",
        "1e3",
        "0x1F",
        "1_0",
        "12:30",
        "2024-01-02",
        "T03:04:05Z",
        "é",
        "字",
        "🎉",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{feff}",
        "\u{fffe}",
        "\u{3000}",
        "abcdefgh",
        "sum(rate(x[5m]))",
    ];

    /// Concatenated pieces, long enough to cross the 8- and 32-byte chunks of the scans.
    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..24).prop_map(|pieces| pieces.concat())
    }

    fn check(test: impl Fn(String) -> std::result::Result<(), TestCaseError>) {
        let config = Config { cases: 20_000, failure_persistence: None, ..Config::default() };
        TestRunner::new(config).run(&text(), test).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn a_value_is_plain_exactly_when_the_full_rules_say_so() {
        check(|s| {
            prop_assert_eq!(is_plain_value(&s), is_plain_value_safe(&s, false), "{:?}", s);
            Ok(())
        });
    }

    #[test]
    fn a_key_is_plain_exactly_when_the_full_rules_say_so() {
        check(|s| {
            let mut out = String::new();
            push_key_str(&mut out, &s);
            let plain = is_plain_key_safe(&s) && is_plain_value_safe(&s, true);
            prop_assert_eq!(out == s, plain, "{:?} written as {:?}", s, out);
            Ok(())
        });
    }

    #[test]
    fn the_newline_search_finds_the_first_newline() {
        check(|s| {
            let bytes = s.as_bytes();
            prop_assert_eq!(find_newline(bytes), bytes.iter().position(|&b| b == b'\n'));
            Ok(())
        });
    }

    #[test]
    fn the_block_content_scan_flags_exactly_the_bytes_outside_printable_ascii() {
        check(|s| {
            let bytes = s.as_bytes();
            let expected = !bytes.iter().all(|&b| matches!(b, b'\n' | b'\t' | 0x20..=0x7E));
            prop_assert_eq!(has_byte_outside_printable_ascii(bytes), expected);
            Ok(())
        });
    }

    #[test]
    fn double_quoting_copies_runs_but_escapes_every_character_as_before() {
        check(|s| {
            let mut ours = String::new();
            push_double_quoted(&mut ours, &s);
            let mut reference = String::from("\"");
            s.chars().for_each(|c| push_double_quoted_char(&mut reference, c));
            reference.push('"');
            prop_assert_eq!(ours, reference);
            Ok(())
        });
    }
}
