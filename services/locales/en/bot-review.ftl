## Unit review (bot/flows/review.py) and organisers' uploads (bot/flows/upload.py)

cmd-desc-review = Review your unit's hour claims (reviewers)
cmd-desc-upload = Upload an hours file (organisers)

rvw-card =
    📄 Claim #{ $id } ({ $year })
    Claimant: { $name } ({ $masked })
    Category: { $category }
    Title: { $title }
    Organiser: { $organiser }
    Dates: { $dates }
    Hours claimed: { $hours } hours
    Evidence: { $evidence } file(s)
rvw-dates-one = { $date }
rvw-dates-range = { $start } to { $end }
rvw-hours-by-reviewer = Your unit sets the hours of this category: approve at the claimed hours, or tap "Set hours" and type them.
rvw-evidence-caption = 📎 Claim #{ $id }, evidence { $number } of { $total }
rvw-evidence-missing = ⚠️ Evidence file { $number } of claim #{ $id } cannot be read; please tell an administrator.

rvw-btn-approve = ✅ Approve
rvw-btn-approve-as = ✅ Approve at { $hours } hours
rvw-btn-set-hours = ✏️ Set hours
rvw-btn-reject = ❌ Reject
rvw-btn-approve-anyway = ✅ Approve anyway
rvw-btn-confirm-member = 👤 Confirm { $name } as a member
rvw-btn-approve-all = ✅ Approve all on this page ({ $count })
rvw-btn-next = ➡️ Next page
rvw-btn-members = 👥 Members to confirm ({ $count })
rvw-btn-queue = 📝 Claims to review
rvw-btn-yes = ✅ Confirm
rvw-btn-cancel = ✖️ Cancel

rvw-queue-footer = These are { $shown } claims waiting for review; approve or reject each one.
rvw-queue-left = { $left } claims on this page are still waiting for review ({ $done } decided).
rvw-queue-page-done = All { $done } claims on this page are decided.
rvw-closed-head = ⏳ The review of the following claims' year has closed; they can no longer be decided and are shown for information:
rvw-queue-empty = No claims are waiting for review.
rvw-queue-end = No more claims are waiting for review.
rvw-what-next = Any other claims to review?
rvw-all-confirm = Approve the { $count } claims on this page at the hours claimed? Claims flagged as possible duplicates, or of people not yet confirmed as members, are not approved; decide those one by one.
rvw-all-done = Approved { $approved }; already decided by someone else { $already }; not approved { $refused }. The claimants of the approved claims are told.
rvw-all-refused-line = #{ $id }: { $reason }
rvw-all-approved-line = ✅ #{ $id } "{ $title }": approved at { $hours } hours
rvw-decided-approved = Approved ✅ { $hours } hours (decided by { $who }, { $at })
rvw-decided-rejected = Returned: { $reason } (decided by { $who }, { $at })
rvw-decided-told = The claimant is told.
rvw-by-you = you
rvw-by-someone = someone else
rvw-approved-short = Approved
rvw-rejected-short = Rejected
rvw-reason-ask = Why is claim #{ $id } "{ $title }" rejected? Choose a reason or type one:
rvw-hours-ask = Type the verified hours for claim #{ $id } "{ $title }" ({ $claimed } claimed, at most { $max } per record), or approve at the claimed hours:
rvw-cancelled = Cancelled; the claim is still waiting for review.
rvw-not-pending = Claim #{ $id } is no longer waiting for review ({ $status }).

rvw-members-head = These people chose your unit in the bot and wait for your confirmation ({ $count }):
rvw-members-line = · { $name } ({ $masked })
rvw-members-none = Nobody is waiting for confirmation.
rvw-member-already = { $name } is already a confirmed member of your unit.

rvw-digest = 📝 { $new } new professional-hour claims in your unit; { $pending } are waiting for review.
rvw-told-rejected-common = Your claim "{ $title }" was rejected. Reason: { $code ->
        [blurry_evidence] { claim-reason-blurry_evidence }
        [above_cap] { claim-reason-above_cap }
        [no_category] { claim-reason-no_category }
        [outside_year] { claim-reason-outside_year }
        [duplicate_import] { claim-reason-duplicate_import }
        [not_professional] { claim-reason-not_professional }
       *[other] { $code }
    }

upl-ask-file = Send the hours file (CSV or XLSX, at most { $max_mb } MB); its rows are recorded as from "{ $source }". Headers: id_number, name, year, subject, course_code, course_title, hours, completed_on, optionally unit_code (a registered unit), or the Chinese headers.
upl-not-a-file = Please send a CSV or XLSX file as a document.
upl-bad-type = Files of type { $suffix } are not accepted; please send a .csv or .xlsx file.
upl-too-large = The file is too large (at most { $max_mb } MB); please split it and send the parts.
upl-fetch-failed = The file could not be downloaded; please send it again.
upl-table-error = { $name } cannot be read: { $reason }. Please check it and send it again.
upl-bad-more = …and { $count } more wrong rows.
upl-send-corrected = Please correct the file and send it again, or tap "Cancel".
upl-file-name = File: { $name }
upl-confirm-ask = Import it? Importing the same file again adds nothing.
upl-btn-confirm = ✅ Import
upl-btn-cancel = ✖️ Cancel
upl-cancelled = Cancelled; nothing was imported.
upl-file-gone = The previewed file is no longer available; please send it again.
upl-told-count = { $count } people are told.
upl-duplicates = { $count } of them look like the people's own claims: { $reopened } approved claims went back to their unit to be checked; { $unresolved } were left as they are because review has closed; please tell an administrator.
upl-reading = Reading { $name }; a large file takes a moment…
upl-working = Still working on the file; the answer will come here.
upl-previous = This file was imported already on { $at } ({ $rows } rows, { $added } added); there is nothing to import again. Send a new file for new hours.
upl-import-unfinished = The import did not finish and nothing was written. Please send the file again.
upl-raced = Another import of this file ran first, so nothing of this one was written. Send the file again: rows already imported are not counted twice.
