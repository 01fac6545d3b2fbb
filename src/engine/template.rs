//! Chat templates: the model's own `tokenizer.chat_template` rendered with minijinja (with the
//! helpers real templates call: `raise_exception`, `strftime_now`, Python string methods,
//! `tojson`), or a built-in template per architecture when the file has none or it does not
//! compile. Qwen3's thinking mode is always off (`enable_thinking = false`).

use minijinja::{context, Environment, ErrorKind};
use serde::{Deserialize, Serialize};

use super::model::Arch;
use super::{EngineError, Result};

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    /// A message with `role` and `content`.
    pub fn new(role: &str, content: &str) -> Self {
        Self {
            role: role.to_string(),
            content: content.to_string(),
        }
    }
}

const CHATML: &str =
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}\
{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

const QWEN3: &str = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}\
{% if add_generation_prompt %}<|im_start|>assistant\n{% if not enable_thinking %}<think>\n\n</think>\n\n{% endif %}{% endif %}";

const LLAMA3: &str =
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n\
{{ m.content | trim }}<|eot_id|>{% endfor %}\
{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}";

const GEMMA: &str = "{{ bos_token }}{% set ns = namespace(sys='') %}\
{% for m in messages %}{% if m.role == 'system' %}{% set ns.sys = ns.sys + m.content + '\n\n' %}\
{% else %}<start_of_turn>{{ 'model' if m.role == 'assistant' else m.role }}\n\
{% if m.role == 'user' %}{{ ns.sys }}{% set ns.sys = '' %}{% endif %}{{ m.content | trim }}<end_of_turn>\n\
{% endif %}{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}";

/// The built-in template for an architecture.
pub fn fallback_template(arch: Arch) -> &'static str {
    match arch {
        Arch::Qwen2 => CHATML,
        Arch::Qwen3 => QWEN3,
        Arch::Llama => LLAMA3,
        Arch::Gemma3 => GEMMA,
    }
}

/// A compiled chat template with the special-token strings it needs.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
    /// True when the model's own template is used (false: the built-in fallback).
    pub from_model: bool,
}

fn raise_exception(msg: String) -> std::result::Result<String, minijinja::Error> {
    Err(minijinja::Error::new(ErrorKind::InvalidOperation, msg))
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A small `strftime` for the formats chat templates use (UTC).
pub fn strftime_at(fmt: &str, unix_secs: i64) -> String {
    let (y, m, d) = civil_date(unix_secs.div_euclid(86_400));
    let secs = unix_secs.rem_euclid(86_400);
    let month = crate::text::MONTH_NAMES[(m as usize).saturating_sub(1) % 12];
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&y.to_string()),
            Some('m') => out.push_str(&format!("{m:02}")),
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('B') => out.push_str(month),
            Some('b') => out.push_str(&month[..3]),
            Some('H') => out.push_str(&format!("{:02}", secs / 3600)),
            Some('M') => out.push_str(&format!("{:02}", secs / 60 % 60)),
            Some('S') => out.push_str(&format!("{:02}", secs % 60)),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

fn strftime_now(fmt: String) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    strftime_at(&fmt, now)
}

fn environment(source: &str) -> std::result::Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", strftime_now);
    env.add_template_owned("chat", source.to_string())?;
    Ok(env)
}

impl ChatTemplate {
    /// Compiles the model's template, or the built-in one for `arch` when there is none or it
    /// does not compile.
    pub fn new(
        source: Option<&str>,
        arch: Arch,
        bos: Option<&str>,
        eos: Option<&str>,
    ) -> Result<Self> {
        let (env, from_model) = match source.map(environment) {
            Some(Ok(env)) => (env, true),
            Some(Err(e)) => {
                tracing::warn!(
                    "model chat template does not compile ({e}); using the built-in one"
                );
                (
                    environment(fallback_template(arch))
                        .map_err(|e| EngineError::Template(e.to_string()))?,
                    false,
                )
            }
            None => (
                environment(fallback_template(arch))
                    .map_err(|e| EngineError::Template(e.to_string()))?,
                false,
            ),
        };
        Ok(Self {
            env,
            bos: bos.unwrap_or_default().to_string(),
            eos: eos.unwrap_or_default().to_string(),
            from_model,
        })
    }

    /// Renders `messages`; with `add_generation_prompt` the text ends where the assistant's
    /// answer starts.
    pub fn render(&self, messages: &[ChatMessage], add_generation_prompt: bool) -> Result<String> {
        let tmpl = self
            .env
            .get_template("chat")
            .map_err(|e| EngineError::Template(e.to_string()))?;
        tmpl.render(context! {
            messages => messages,
            add_generation_prompt => add_generation_prompt,
            bos_token => self.bos,
            eos_token => self.eos,
            enable_thinking => false,
        })
        .map_err(|e| EngineError::Template(format!("{e:#}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strftime_known_dates() {
        assert_eq!(strftime_at("%Y-%m-%d %H:%M:%S", 0), "1970-01-01 00:00:00");
        assert_eq!(strftime_at("%d %b %Y", 1_709_251_200), "01 Mar 2024");
        assert_eq!(strftime_at("%B %d", 951_782_400), "February 29");
    }

    #[test]
    fn fallbacks_render() {
        let msgs = [
            ChatMessage::new("system", "S"),
            ChatMessage::new("user", "안녕"),
        ];
        let q3 = ChatTemplate::new(None, Arch::Qwen3, None, None).unwrap();
        let out = q3.render(&msgs, true).unwrap();
        assert!(
            out.ends_with("<|im_start|>assistant\n<think>\n\n</think>\n\n"),
            "{out}"
        );
        let g = ChatTemplate::new(None, Arch::Gemma3, Some("<bos>"), None).unwrap();
        let out = g.render(&msgs, true).unwrap();
        assert_eq!(
            out,
            "<bos><start_of_turn>user\nS\n\n안녕<end_of_turn>\n<start_of_turn>model\n"
        );
        let l = ChatTemplate::new(None, Arch::Llama, Some("<|begin_of_text|>"), None).unwrap();
        assert!(l
            .render(&msgs, true)
            .unwrap()
            .starts_with("<|begin_of_text|><|start_header_id|>system"));
    }

    #[test]
    fn raise_exception_is_an_error() {
        let t = ChatTemplate::new(Some("{{ raise_exception('no') }}"), Arch::Qwen2, None, None)
            .unwrap();
        assert!(matches!(t.render(&[], true), Err(EngineError::Template(m)) if m.contains("no")));
    }

    #[test]
    fn broken_template_falls_back() {
        let t = ChatTemplate::new(Some("{% for %}"), Arch::Qwen2, None, None).unwrap();
        assert!(!t.from_model);
        assert!(t
            .render(&[ChatMessage::new("user", "x")], true)
            .unwrap()
            .contains("<|im_start|>user"));
    }
}
