## Administration: spot checks (spot-), people, roles, the audit log and reopened claims (adm-),
## in the bot and on the command line

cmd-desc-spot = Spot-check verified hours (administrators, auditors)
cmd-desc-people = People, unit moves and roles (administrators)

## ---------------------------------------------------------------- spot checks

spot-not-allowed = Spot checks are for administrators and auditors only.
spot-home-admin = 🔍 Spot checks: draw a new sample, or open an existing check.
spot-home-auditor = 🔍 Spot checks assigned to you:
spot-none = No spot checks yet.
spot-no-years = No yearly policy is active, so there is nothing to spot-check yet.
spot-button-new = 🎲 New sample
spot-button-draw = Open check #{ $id }
spot-button-open = 🔍 Open the check
spot-button-draw-now = 🎲 Draw
spot-button-later = Assign later
spot-button-check = ▶️ Start checking ({ $open } open)
spot-button-assign = 👤 Assign an auditor
spot-button-home = 🔍 All checks
spot-button-confirm = ✅ Genuine
spot-button-revoke = ❌ Revoke the hours
spot-button-skip = ⏭ Next
spot-button-stop = ⏸ Pause
spot-button-back-item = ↩️ Back to this claim

spot-ask-year = 🎲 Which year's approved professional claims should be spot-checked?
spot-ask-scope = Which part of { $year }? Choose the whole region or a city, or type a unit's name or unified social credit code.
spot-unit-none = No unit found. Try another word, or type the unified social credit code.
spot-unit-pick = Choose the unit:
spot-ask-size = { $year } · { $scope }: { $population } approved claims. How many should be drawn? Choose a number or a share, or type a number (such as 15) or a share (such as 8%).
spot-size-invalid = Please type a number from 1 to 1000, or a share above 0% and up to 100% (such as 8%).
spot-ask-confirm = { $amount } will be drawn at random from the { $population } claims of { $year } · { $scope }. The random seed is kept with the sample, so the draw can be checked at any time. Draw now?
spot-drawn = 🎲 Drawn.
spot-ask-auditor = Choose the auditor who checks it:
spot-no-auditors = There are no auditors yet. Grant the auditor role to an account under "People and roles", then assign the check.
spot-assigned = Check #{ $id } is assigned to { $auditor }.
spot-all-marked = ✅ Every claim of check #{ $id } has been checked.
spot-draw-done = Check #{ $id } is complete.

spot-scope-province = Whole region
spot-scope-city = { $city }
spot-scope-unit = { $unit } { $code }
spot-no-auditor = not assigned
spot-status-open = in progress
spot-status-done = complete
spot-draw-line = #{ $id } · { $year } · { $scope } · { $size } of { $population } claims · { $open } open, { $confirmed } genuine, { $revoked } revoked · auditor: { $auditor } · { $status }
spot-draw-seed = Random seed { $seed }; population { $population } claims (fingerprint { $digest }); sample { $size }. The same seed over the same population gives the same sample.

spot-item-title = 🔍 Check #{ $id }, claim { $seq } of { $size }
spot-item-person = Person: { $name } ({ $masked })
spot-item-unit = Registered with: { $unit }
spot-item-claim = { $year } · { $title } · { $organiser } · { $hours } hours
spot-item-dates = Dates: { $start } to { $end }
spot-item-approved = Approved by { $by }, { $at }
spot-item-evidence = { $count } evidence file(s), sent above.
spot-evidence-caption = Evidence { $n } of { $count } (claim #{ $id })
spot-evidence-missing = The file of evidence { $n } is missing; please contact technical support.
spot-item-line = { $seq }. item #{ $item } · claim #{ $record } · { $name } ({ $masked }) · { $unit } · { $title } · { $hours } hours · { $outcome }

spot-ask-reason = Why are the hours revoked? Choose a common reason or type one.
spot-reason-evidence_false = The evidence is not genuine
spot-reason-not_attended = The person did not attend
spot-reason-hours_overstated = More hours were claimed than studied
spot-reason-not_professional = Not professional-subject study
spot-reason-outside_year = The study was not in the claimed year
spot-reason-duplicate = Duplicates other hours
spot-void-reason = the claim changed after the draw (now { $status }), so it is not checked
spot-outcome-open = open
spot-outcome-confirmed = genuine
spot-outcome-revoked = revoked
spot-outcome-void = void
spot-outcome-reason = { " " }({ $reason })

spot-marked-confirmed = ✅ Confirmed as genuine.
spot-marked-revoked-short = Hours revoked
spot-marked-revoked = ❌ The hours of "{ $title }" are revoked ({ $reason }) and no longer count. Told: { $person } account(s) of the person, { $reviewers } reviewer(s) of the unit.
spot-marked-void = This claim changed after the draw and is taken out of the check: { $reason }.
spot-already = { $by } has already checked this claim: { $outcome }.
spot-cert-revoked = Certificate { $number } no longer holds and has been revoked.
spot-told = Told: { $person } account(s) of the person, { $reviewers } reviewer(s) of the unit.
spot-cli-outcome = The outcome must be confirm or revoke.

spot-notice-assigned = 🔍 A new spot check for you: #{ $check }, { $year }, { $size } claims to check.
spot-notice-revoked =
    ❌ After a spot check, your { $year } professional hours "{ $title }" ({ $hours } hours) have been revoked and no longer count. Reason: { $reason ->
        [evidence_false] the evidence is not genuine
        [not_attended] you did not attend
        [hours_overstated] more hours were claimed than studied
        [not_professional] not professional-subject study
        [outside_year] the study was not in the claimed year
        [duplicate] duplicates other hours
       *[other] { $reason }
    }. If you disagree, contact your unit or the service centre on 0771-966111.
spot-notice-revoked-unit =
    ❌ Spot check: "{ $title }" ({ $hours } hours, { $year }) of { $name } ({ $masked }), approved by your unit, has been revoked. Reason: { $reason ->
        [evidence_false] the evidence is not genuine
        [not_attended] the person did not attend
        [hours_overstated] more hours were claimed than studied
        [not_professional] not professional-subject study
        [outside_year] the study was not in the claimed year
        [duplicate] duplicates other hours
       *[other] { $reason }
    }. Please review your unit's verification.

spot-refused-not_admin = Only administrators can do this.
spot-refused-not_auditor = You are not an auditor, or your auditor role was withdrawn.
spot-refused-not_assigned = Check #{ $check } is not assigned to you.
spot-refused-auditor_account = Account #{ $account } has no auditor role, so the check cannot be assigned to it.
spot-refused-no_policy = No policy is active for { $year }, so it cannot be spot-checked.
spot-refused-size_or_share = Give either a number of claims or a share, not both.
spot-refused-size = The number of claims must be from 1 to { $max }.
spot-refused-share = The share must be above 0% and at most 100% (such as 10%, 0.1 or 1/10).
spot-refused-seed = The random seed must be a whole number, 0 or more.
spot-refused-unknown_unit = No unit found: { $code }
spot-refused-empty = There are no approved { $year } claims in this scope to draw from.
spot-refused-not_found = This spot check was not found.
spot-refused-closed = Check #{ $check } is complete and cannot be reassigned.
spot-refused-reason_required = Revoking hours needs a reason: choose a common one or type one.
spot-refused-reason_too_long = The reason is too long (at most { $max } characters).
spot-refused-own_claim = You cannot check your own claim.
spot-refused-own_decision = You approved this claim yourself; another auditor must check it.
spot-refused-busy = Busy, please try again in a moment.

## ---------------------------------------------------------------- people and roles

adm-ask-find = 👥 Find a person: type a name, the last four characters of the ID number, a name and those four, or the whole ID number (the message is deleted at once and only used to look the person up). To find an account, type #number.
adm-button-staff = 🛡 Everyone with a role
adm-find-none = Nobody matches. Please try another spelling.
adm-find-pick = { $count } found, choose one:
adm-staff-title = 🛡 Roles now:
adm-role-short = · { $role }: { $who } (account #{ $account }) { $scope }
adm-role-line = #{ $id } · { $role } · account #{ $account } { $who } · { $scope } · granted { $granted } by { $by }{ $withdrawn }
adm-role-withdrawn-at = , withdrawn { $at }
adm-no-unit = (no unit)

adm-person-title = 👤 { $name } ({ $masked })
adm-person-unit = Unit: { $unit } ({ $code })
adm-person-unconfirmed = Chose the unit themselves; the unit has not confirmed it yet.
adm-person-unbound = No account is bound.
adm-person-account = Bound account: #{ $account } ({ $name })
adm-account-title = Account #{ $account } ({ $name })
adm-account-unbound = This account is bound to nobody.
adm-button-move = 🏢 Move to a unit
adm-button-claims = 📄 Decided claims
adm-button-roles = 🛡 Roles
adm-button-unbind = 🔓 Remove the binding
adm-button-unbind-yes = Remove it
adm-button-find = 🔎 Find someone else
adm-button-cancel = Cancel
adm-button-back = ↩️ Back

adm-ask-unit = Move to which unit? Type its name or unified social credit code. Hours already registered stay with the unit of the time.
adm-unit-none = No unit found. Try another word, or type the unified social credit code.
adm-unit-pick = Choose the unit:
adm-moved = { $name } ({ $masked }) moved from { $old } to { $new }.
adm-moved-short = Moved
adm-moved-pending = { $count } pending claim(s) are still verified by the previous unit.

adm-ask-unbind = The account will no longer be bound to this person (the person and their hours stay, and they can bind again). Remove the binding?
adm-unbound = The binding of { $name } ({ $masked }) to account #{ $account } is removed.
adm-unbound-short = Binding removed

adm-roles-title = 🛡 Roles of account #{ $account } ({ $name }):
adm-roles-none = No roles.
adm-button-withdraw = ✖ Withdraw { $role }
adm-button-grant = ＋ { $role }
adm-ask-grant-unit = Reviewer of which unit? Choose it, or type its name or unified social credit code.
adm-ask-grant-source = What is the training organiser's name (the source of imported hours)? Please type it.
adm-role-granted = ✅ Role granted.
adm-role-already = The account already has this role.
adm-role-withdrawn = ✅ Role withdrawn.
adm-role-already-withdrawn = This role was already withdrawn.

adm-claims-title = 📄 Decided claims (an administrator can reopen one for the unit to decide again):
adm-claims-none = This person has no decided claims.
adm-claim-line = #{ $id } · { $year } · { $title } · { $hours } hours · { $status }
adm-button-reopen = ↩️ Reopen #{ $id }
adm-ask-reopen-reason = Please type why claim #{ $id } is reopened (it is logged and the person is told):
adm-reopened = ↩️ Claim #{ $id } "{ $title }" was { $previous } and is reopened for the unit to decide again.
adm-reopened-short = Reopened
adm-status-approved = approved
adm-status-rejected = rejected
adm-status-pending = pending
adm-status-revoked = revoked
adm-status-withdrawn = withdrawn

adm-notice-moved = 🏢 An administrator moved you to { $unit }. Hours registered before stay with your previous unit.
adm-notice-unbound = 🔓 An administrator removed the binding of your account to your identity. Send /start to bind again.
adm-notice-role-granted = 🛡 You have been granted the { $role ->
        [reviewer] unit reviewer
        [organiser] training organiser
        [admin] administrator
        [auditor] auditor
       *[other] { $role }
    } role. Send /menu to see it.
adm-notice-role-withdrawn = 🛡 Your { $role ->
        [reviewer] unit reviewer
        [organiser] training organiser
        [admin] administrator
        [auditor] auditor
       *[other] { $role }
    } role has been withdrawn.
adm-notice-reopened = ↩️ An administrator reopened your { $year } claim "{ $title }"; your unit will decide it again. Reason: { $reason }

adm-refused-not_admin = Only administrators can do this.
adm-refused-not_found = This person was not found.
adm-refused-account_not_found = Account #{ $account } was not found.
adm-refused-unknown_unit = No unit found: { $code }
adm-refused-same_unit = This person is already in { $unit }.
adm-refused-not_bound = { $name } has no bound account.
adm-refused-role = Unknown role: { $role } (one of: { $roles }).
adm-refused-role_needs_unit = A reviewer role needs a unit.
adm-refused-role_needs_source = A training organiser role needs the source's name.
adm-refused-role_not_found = Role #{ $role_id } was not found.
adm-refused-last_admin = This is the last administrator role and cannot be withdrawn. Grant the administrator role to another account first.
adm-refused-reason_required = Please give a reason.
adm-refused-reason_too_long = Too long (at most { $max } characters).
adm-refused-busy = Busy, please try again in a moment.

adm-cli-account-or-person = Name one account, with --account or --person (not both).
adm-cli-bad-date = Not a date: { $value } (use YYYY-MM-DD).
adm-cli-bad-range = The start date is after the end date.
adm-audit-none = No log entries match.
