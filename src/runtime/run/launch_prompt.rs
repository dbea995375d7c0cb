//! The first prompt on the agent's command line (the adapter's
//! `prompt_args`): rendered before the agent starts, passed as its argument,
//! and recorded as the turn's injection, as a typed one would be, once the
//! core says the agent took it (`core::supervisor` `launch.rs`).
//!
//! What goes on the command line is the start prompt: the goal's objective
//! and requirements, which the person gave goalie on its own command line or
//! in a spec file, and turn 1's claim nonce. The goal's claim code, the
//! secret the nonces come from, is never in a prompt, so it is not either;
//! a nonce is no secret from the agent (it is what the agent must write
//! back) nor from what the agent runs, and it ties a claim to turn 1 only.

use crate::core::prompt::{PromptKind, PromptVars};
use crate::core::row::Row;
use tokio::sync::mpsc;

use crate::core::supervisor::Supervisor;
use crate::error::Error;

use super::perform::{describe, sanitize};
use super::shell::{GivenPrompt, Shell};
use super::spec::RunSpec;

/// A first prompt that goes on the agent's command line.
pub(super) struct LaunchPrompt {
    /// What the shell records once the agent took it.
    pub(super) given: GivenPrompt,
    /// The arguments that carry it.
    pub(super) args: Vec<String>,
    /// The same with `{prompt}` left in: what the `agent_started` row shows
    /// (the text is the `injection` row's).
    pub(super) recorded_args: Vec<String>,
    pub(super) nonce: String,
}

/// The first prompt, when the adapter takes it on the command line and it
/// fits there; else `None`, and `core` is as it was (the prompt is typed).
pub(super) fn prompt_at_launch(
    spec: &RunSpec,
    core: &mut Supervisor,
) -> Result<Option<LaunchPrompt>, Error> {
    let Some(template) = spec.adapter.prompt_args.clone() else {
        return Ok(None);
    };
    let before = core.clone();
    let Some((kind, vars)) = core.prompt_at_launch(0) else {
        return Ok(None);
    };
    let text = render(spec, kind, &vars)?;
    match spec.adapter.prompt_launch_args(&text) {
        Some(args) => Ok(Some(LaunchPrompt {
            given: GivenPrompt {
                kind,
                turn: vars.turn,
                text,
            },
            args,
            recorded_args: template,
            nonce: vars.nonce.clone(),
        })),
        None => {
            *core = before;
            Ok(None)
        }
    }
}

fn render(spec: &RunSpec, kind: PromptKind, vars: &PromptVars) -> Result<String, Error> {
    let text = spec.prompts.render(kind, vars).map_err(Error::Usage)?;
    Ok(sanitize(&text))
}

impl Shell<'_> {
    /// The agent took the prompt on its command line: it is recorded as the
    /// turn's injection, and the turn is under way.
    pub(super) fn prompt_given(
        &mut self,
        kind: PromptKind,
        why: String,
        done_tx: &mpsc::UnboundedSender<()>,
    ) -> Result<(), Error> {
        let Some(given) = self.at_launch.take().filter(|given| given.kind == kind) else {
            tracing::warn!(?kind, "the core said a prompt was given that was not");
            let _ = done_tx.send(());
            return Ok(());
        };
        self.ledger.append(
            &self.goal_id,
            &Row::Injection {
                turn: given.turn,
                prompt: kind,
                why: why.clone(),
                text: given.text,
            },
        )?;
        if !self.interactive {
            self.say(&format!(
                "turn {}: the {} prompt was {why}",
                given.turn,
                describe(kind)
            ));
        }
        let _ = done_tx.send(());
        Ok(())
    }
}
