//! Runs audits off the event loop: each on a blocking thread, its report sent
//! back on a channel that the run loop turns into [`Event::AuditFinished`].
//!
//! [`Event::AuditFinished`]: crate::core::supervisor::Event::AuditFinished

use std::path::PathBuf;

use tokio::sync::mpsc;

use crate::audit::groups::OnStart;
use crate::audit::{self, Baseline, Report, VerifyGroups};
use crate::goal::claim::ChecklistItem;
use crate::goal::spec::GoalSpec;

/// Starts audits for one goal.
pub struct Auditor {
    spec: GoalSpec,
    workdir: PathBuf,
    baseline: Baseline,
    reports: mpsc::UnboundedSender<Report>,
    /// The verify commands running now, to end with the run.
    groups: VerifyGroups,
}

impl Auditor {
    /// An auditor and the receiver its reports arrive on.
    pub fn new(
        spec: GoalSpec,
        workdir: PathBuf,
        baseline: Baseline,
    ) -> (Auditor, mpsc::UnboundedReceiver<Report>) {
        let (reports, rx) = mpsc::unbounded_channel();
        (
            Auditor {
                spec,
                workdir,
                baseline,
                reports,
                groups: VerifyGroups::default(),
            },
            rx,
        )
    }

    /// Tells `on_start` the process group of each verify command as it starts.
    pub fn on_group_started(&mut self, on_start: OnStart) {
        let env = self.groups.env().to_vec();
        self.groups = VerifyGroups::new(on_start).with_env(env);
    }

    /// Sets `env` in the environment of every verify command.
    pub fn set_env(&mut self, env: Vec<(String, String)>) {
        self.groups = self.groups.clone().with_env(env);
    }

    /// The verify commands' groups, shared with whatever else runs commands
    /// for this goal (a wait's command), so that they are recorded and ended alike.
    pub fn groups(&self) -> VerifyGroups {
        self.groups.clone()
    }

    /// Ends the verify commands that run now and starts no other: the run
    /// is stopping, and waits for none of them.
    pub fn stop(&self) -> usize {
        self.groups.stop_all()
    }

    /// Audits a completion claim on a blocking thread (needs a tokio runtime).
    pub fn start(&self, checklist: Vec<ChecklistItem>, commands: Option<Vec<String>>) {
        let request = audit::Request {
            spec: self.spec.clone(),
            workdir: self.workdir.clone(),
            baseline: self.baseline.clone(),
            checklist,
            commands,
        };
        let reports = self.reports.clone();
        let groups = self.groups.clone();
        tokio::task::spawn_blocking(move || {
            let _ = reports.send(audit::run_in(&request, &groups));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goal::spec::VerifyCommand;

    #[tokio::test]
    async fn an_audit_reports_back_without_blocking_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = GoalSpec::bare("do it");
        spec.verify = vec![VerifyCommand {
            run: "sleep 0.3; true".into(),
            timeout_ms: 10_000,
        }];
        let (auditor, mut reports) = Auditor::new(spec, dir.path().to_path_buf(), Baseline::new());
        let started = std::time::Instant::now();
        auditor.start(
            vec![ChecklistItem {
                requirement: "done".into(),
                evidence: "ran it".into(),
            }],
            None,
        );
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
        let report = reports.recv().await.unwrap();
        assert!(report.passed(), "{report:?}");
    }
}
