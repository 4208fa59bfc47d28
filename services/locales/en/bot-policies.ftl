## Yearly policies (administrators)

cmd-desc-policies = Yearly policies (administrators)
pol-not-admin = Sorry, only administrators can see and activate yearly policies.
pol-title = 📋 Yearly policies
pol-line = · { $year }: { $state }
pol-line-source = · { $year }: { $state }, { $source }
pol-state-active = active
pol-state-draft = draft
pol-state-demo = demo (generated, not a real notice)
pol-none = There is no yearly policy yet.
pol-no-current = The { $year } policy is not active yet: the bot shows last year's rules as such and keeps last year's make-up and professional registration working.
pol-pick = Check a draft below; once it passes it can be activated:
pol-no-drafts = There is no draft waiting. Draft one on the command line: cebot policy new YEAR
pol-check-button = Check the { $year } draft
pol-check-ok = ✅ The { $year } policy passes every check: the file, the mandatory course, the question bank and the electives are ready.
pol-activate-button = Activate the { $year } policy
pol-check-problems = The { $year } policy cannot be activated yet; fix these first:
pol-more = …and { $count } more; run cebot policy check to see them all.
pol-activated = ✅ The { $year } policy is now active.
pol-refused-exists = A policy file for { $year } already exists.
pol-refused-no_source = There is no earlier policy to copy.
pol-refused-not_found = No policy file for { $year } was found.
pol-refused-already_active = The { $year } policy is already active.
pol-refused-invalid = The { $year } policy does not pass its checks and cannot be activated. Please check it again.
pol-refused-bad_year = The year must lie between 2000 and 2100.
