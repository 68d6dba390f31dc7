//! `hearth chat`: an interactive conversation on the terminal. Lines starting with
//! `/` are commands; Ctrl-C stops the answer being written; Ctrl-D or /exit quits.

use std::io::{BufRead, IsTerminal, Write};

use hearth_core::{ChatSession, Hearth};
use hearth_llm::StopReason;

use super::{apply_sampling, spinner};
use crate::args::ChatArgs;
use crate::exit;
use crate::interrupt::Interrupts;

const HELP: &str = "Commands:
  /help            show this help
  /clear           forget the conversation so far
  /system [TEXT]   set the system prompt (no text: show it)
  /model [NAME]    switch model (no name: show the current one)
  /exit            quit (or Ctrl-D)
Ctrl-C stops the answer being written.";

pub fn run(args: ChatArgs) -> anyhow::Result<i32> {
    let interactive = std::io::stdin().is_terminal();
    let interrupts = Interrupts::install(Some(
        "(the answer is done; type /exit or press Ctrl-D to quit)",
    ));
    let hearth = Hearth::open_default()?;
    let options = apply_sampling(hearth.default_options(), &args.sampling);
    let mut session = ChatSession::new(
        &hearth,
        args.model.model.clone(),
        args.system.clone(),
        options,
    );

    let loading = spinner("loading the model", false);
    let loaded = hearth.engine(session.model());
    loading.finish_and_clear();
    let engine = loaded?;
    if interactive {
        eprintln!(
            "Chatting with {}. Type /help for commands.",
            engine.info().name
        );
    }

    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            eprint!(">>> ");
            let _ = std::io::stderr().flush();
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        let input = line.trim();
        if input.is_empty() {
            continue;
        }
        if let Some(command) = input.strip_prefix('/') {
            match handle_command(command, &mut session) {
                Flow::Continue => continue,
                Flow::Quit => break,
            }
        }
        let generation = match session.send(input) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("error: {e}");
                continue;
            }
        };
        interrupts.watch(generation.cancel_token());
        let mut shown = String::new();
        let mut stdout = std::io::stdout().lock();
        let result = generation.stream(|text| {
            shown.push_str(text);
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        });
        interrupts.clear();
        let _ = writeln!(stdout);
        drop(stdout);
        match result {
            Ok(completion) => {
                session.record_answer(&shown);
                if completion.stop_reason == StopReason::Cancelled {
                    eprintln!("(stopped)");
                }
            }
            Err(e) => {
                session.abandon();
                eprintln!("error: {e}");
            }
        }
    }
    Ok(exit::OK)
}

enum Flow {
    Continue,
    Quit,
}

fn handle_command(command: &str, session: &mut ChatSession) -> Flow {
    let (name, rest) = command
        .split_once(char::is_whitespace)
        .unwrap_or((command, ""));
    let rest = rest.trim();
    match name {
        "help" | "?" => eprintln!("{HELP}"),
        "exit" | "quit" | "bye" => return Flow::Quit,
        "clear" => {
            session.clear();
            eprintln!("(conversation cleared)");
        }
        "system" if rest.is_empty() => {
            eprintln!("system prompt: {}", session.system().unwrap_or("(none)"))
        }
        "system" => {
            session.set_system(Some(rest.to_owned()));
            eprintln!("(system prompt set)");
        }
        "model" if rest.is_empty() => {
            eprintln!("model: {}", session.model().unwrap_or("(default)"))
        }
        "model" => match session.set_model(Some(rest.to_owned())) {
            Ok(()) => eprintln!("(model set to {rest}; it loads with the next message)"),
            Err(e) => eprintln!("error: {e}"),
        },
        other => eprintln!("unknown command /{other}; type /help"),
    }
    Flow::Continue
}
