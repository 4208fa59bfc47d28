## Professional-hour claims, unit review, organisers' uploads (services/claims.py,
## services/evidence.py, services/organiser_upload.py)

claim-step-year = Year
claim-step-category = Category
claim-step-title = Title
claim-step-organiser = Organiser
claim-step-dates = Dates
claim-step-hours = Hours

claim-problem-year_closed = Hours for { $year } cannot be registered now (open years: { $open }).
claim-problem-category = "{ $value }" is not one of this year's categories.
claim-problem-empty = Please fill this in.
claim-problem-too_long = Too long (at most { $max } characters).
claim-problem-control = This contains a character that cannot be stored ({ $char }); please remove it and send it again.
claim-problem-dates_order = The start date cannot come after the end date.
claim-problem-outside_year = The whole activity must lie inside { $year } (no registering across years).
claim-problem-future = The activity has not ended yet; register it afterwards.
claim-problem-hours_or_half_days = Give either hours or half days.
claim-problem-no_half_days = This category is not counted in half days; enter hours.
claim-problem-hours-format = Hours must be a number such as 4 or 2.5.
claim-problem-hours-not_half = Hours must be a multiple of 0.5.
claim-problem-hours-non_positive = Hours must be more than 0.
claim-problem-above_max = More than this category's limit of { $max } hours per record.

claim-hours-set-by-unit = Hours in this category are set by your unit on review; yours are a proposal.
claim-half-day-rule = Training counts the hours attended; each half day counts as { $hours } hours.
claim-pledge = I pledge that this entry and its evidence are true (本人承诺属实).

claim-status-pending = Waiting for review
claim-status-approved = Approved
claim-status-rejected = Rejected
claim-status-withdrawn = Withdrawn
claim-status-imported = Imported
claim-flag-duplicate = May duplicate imported hours; the reviewer should check.
claim-flag-verification-closed = Review for { $year } closed on { $deadline }; this claim was not reviewed and does not count.
claim-flag-unconfirmed-member = This person chose your unit themselves and is not confirmed yet.

claim-refused-pledge = Please confirm the pledge first.
claim-refused-invalid = Some entries need correcting before you submit.
claim-refused-no_person = Please link your identity first.
claim-refused-no_unit = Please choose your unit first; only your unit can verify hours.
claim-refused-evidence_count = Please upload { $min } to { $max } evidence files.
claim-refused-evidence_missing = An evidence file is no longer available; please upload it again.
claim-refused-not_found = No such claim.
claim-refused-not_pending = This claim is no longer waiting for review and cannot be withdrawn.
claim-refused-not_reviewer = You are not a unit reviewer, or your role was revoked.
claim-refused-other_unit = This claim belongs to another unit; you cannot review it.
claim-refused-own_claim = You cannot review your own claim.
claim-refused-verification_closed = Review of { $year } professional hours closed on { $deadline }.
claim-refused-reason_required = A rejection needs a reason: choose a common one or type it.
claim-refused-reason_too_long = The reason is too long (at most { $max } characters).
claim-refused-hours = Hours must be a positive multiple of 0.5.
claim-refused-above_max = More than this category's limit of { $max } hours per record.
claim-refused-member_unconfirmed = Confirm this person as a member of your unit before approving.
claim-refused-duplicate = This claim may duplicate imported hours; choose "approve anyway" if it is a different activity.
claim-refused-not_admin = Only an administrator can reopen a decision.
claim-refused-not_decided = This claim has not been decided yet.
claim-refused-busy = Busy; please try again.

claim-reason-blurry_evidence = The evidence is not legible
claim-reason-above_cap = The hours exceed the limit
claim-reason-no_category = The activity matches no category
claim-reason-outside_year = The activity is not inside the claimed year
claim-reason-duplicate_import = Already imported by the organiser
claim-reason-not_professional = Not study in your own professional field

claim-already-decided = Already decided by { $name } at { $at } ({ $status }); nothing changed.
claim-already-decided-unknown = Already decided ({ $status }); nothing changed.
claim-told-approved = Your claim "{ $title }" was approved: { $hours } hours.
claim-told-rejected = Your claim "{ $title }" was rejected. Reason: { $reason }
claim-told-reopened = Your claim "{ $title }" is back with your unit for review.
claim-told-duplicate-reopened = Your claim "{ $title }" looks like hours an organiser imported; your unit will check it so they are not counted twice.
claim-member-confirmed = { $name } is confirmed as a member of your unit.
claim-member-told-confirmed = Your unit confirmed your membership.
review-digest = { $count } professional-hour claims are waiting for review (oldest from { $oldest }).
review-digest-duplicates = { $count } of them may duplicate imported hours.
review-digest-members = { $count } people asked to join your unit and wait for confirmation.

evidence-refused-empty = The file is empty; please upload it again.
evidence-refused-too_large = The file is too large (at most { $max_mb } MB).
evidence-refused-type = Only JPG, PNG or WebP images and PDF files are accepted.
evidence-refused-not_found = No such evidence file.
evidence-refused-busy = Busy; please try again.

upload-refused-not_organiser = You are not an organiser's importer, or your role was revoked.
upload-refused-file_changed = The file differs from the previewed one; please upload it again.
upload-preview = Preview: { $rows } rows, { $people } people ({ $new } new), { $hours } hours in all; { $already } rows already imported; { $duplicates } rows look like the people's own claims.
upload-preview-bad = { $count } rows are wrong; confirming would import nothing:
upload-done = Imported: { $added } added, { $unchanged } already there.
upload-nothing-new = Every record was imported before; nothing was added.
upload-told = The organiser "{ $source }" imported professional hours for you.
upload-told-records = The organiser "{ $source }" imported { $count } records for you, { $hours } hours in all:
    { $items }
