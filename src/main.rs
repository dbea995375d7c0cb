use std::io::Write;

fn main() {
    let code = match goalie::run() {
        Ok(code) => code,
        Err(err) => {
            let message = err.to_string();
            let _ = writeln!(std::io::stderr(), "error: {message}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                let cause_text = cause.to_string();
                if !message.contains(&cause_text) {
                    let _ = writeln!(std::io::stderr(), "  caused by: {cause_text}");
                }
                source = cause.source();
            }
            if let Some(hint) = err.hint() {
                let _ = writeln!(std::io::stderr(), "hint: {hint}");
            }
            err.exit_code()
        }
    };
    std::process::exit(code);
}
