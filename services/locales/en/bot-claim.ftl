## The claimant's side of professional-hour claims in the bot (bot/flows/claim.py)

cmd-desc-claim = Claim professional hours

clm-not-bound = Please link your identity before claiming professional hours.
clm-title = 📝 My professional-hour claims
clm-open-years = Years open for claims now: { $years }
clm-no-open-year = No year is open for professional-hour claims now.
clm-none = You have no claims in the open years yet.
clm-list-item = #{ $id } { $title } ({ $year } · { $category })
clm-list-state = {"   "}{ $hours } hours · { $status }
clm-list-proposed = {"   "}{ $hours } hours proposed (your unit sets them) · { $status }
clm-list-rejected = {"   "}{ $hours } hours · { $status }. Reason: { $reason }
clm-more = …and { $count } older claims not listed.
clm-new-button = ➕ New claim
clm-withdraw-button = ↩️ Withdraw #{ $id }
clm-withdraw-confirm = Withdraw claim #{ $id } "{ $title }"? Your unit will no longer review it; you can claim again if needed.
clm-withdraw-yes = Withdraw
clm-withdraw-no = Keep it
clm-withdraw-kept = The claim was kept.
clm-withdrawn = Claim #{ $id } "{ $title }" was withdrawn. Its evidence stays on file.

clm-cancel = ✖️ Cancel this claim
clm-cancelled = The claim was cancelled; nothing was submitted.
clm-back-summary = ↩️ Back to the summary
clm-current = Now: { $value }
clm-no-id-number = To protect personal data, please do not put an ID number here. Please type it again:

clm-ask-year = Which year is the claim for? (Hours belong to the year of the activity; no claims across years.)
clm-year-button = { $year }
clm-year-last-button = { $year } (open until { $deadline })

clm-ask-category = Choose the category for { $year }:
clm-category-line = · { $line }
clm-count-half-days = { $name }: hours attended; each half day counts as { $hours } hours
clm-count-actual = { $name }: hours attended
clm-count-reviewer = { $name }: your unit sets the hours on review

clm-ask-title = What was the activity called (the course, conference or project)?
clm-ask-organiser = Who organised it (the institution that ran the course or conference)?
clm-ask-start = When did it start? For example { $year }-05-03, { $year }.5.3 or { $year }年5月3日 (inside { $year }):
clm-ask-end = Start: { $start }. When did it end (inside { $year }, not before the start)? Tap "Same day" if it ended the day it started:
clm-same-day = Same day
clm-date-invalid = That is not a date I can read. Please type it like 2024-05-03, 2024.5.3 or 2024年5月3日:

clm-ask-hours = How many hours did you attend (a multiple of 0.5, at most { $max } per claim)? For example 6 or 7.5:
clm-ask-hours-proposed = How many hours do you propose (a multiple of 0.5, at most { $max } per claim)?
clm-use-half-days = Enter half days instead
clm-use-hours = Enter hours instead
clm-ask-half-days = How many half days did you attend (a whole number; each counts as { $hours } hours, at most { $max } half days)?
clm-half-days-invalid = Half days must be a whole number such as 3. Please type it again:

clm-ask-evidence = Please send the evidence: photos or PDF files (a certificate, an attendance record), each at most { $max_mb } MB, up to { $max } files. Tap "Done" when you have sent them all.
clm-evidence-count = Received so far: { $count } ({ $images } { $images ->
        [one] image
       *[other] images
    }, { $pdfs } { $pdfs ->
        [one] PDF
       *[other] PDFs
    }).
clm-evidence-summary = { $count } ({ $images } { $images ->
        [one] image
       *[other] images
    }, { $pdfs } { $pdfs ->
        [one] PDF
       *[other] PDFs
    })
clm-evidence-done = ✅ Done ({ $count })
clm-evidence-clear = 🗑 Remove all and start again
clm-evidence-cleared = The evidence sent so far was removed; please send it again.
clm-evidence-needed = Please send at least { $min } evidence { $min ->
        [one] file
       *[other] files
    }.
clm-evidence-send-file = A photo or a PDF file of the evidence is needed here; please send the file itself.
clm-evidence-received = Evidence file { $number } received ({ $kind }).
clm-evidence-duplicate = You already sent this file; it is counted once.
clm-evidence-full = A claim takes at most { $max } evidence files; that is the limit.
clm-evidence-fetch-failed = The file could not be downloaded; please send it again.
clm-kind-image = image
clm-kind-pdf = PDF

clm-pledge-button = ✍️ I pledge this is true (本人承诺属实)

clm-summary-title = Please check your claim:
clm-summary-year = Year: { $year }
clm-summary-category = Category: { $value }
clm-summary-title-line = Title: { $value }
clm-summary-organiser = Organiser: { $value }
clm-summary-dates = Dates: { $start } to { $end }
clm-summary-hours = Hours: { $value }
clm-summary-evidence = Evidence: { $value }
clm-summary-pledged = ✅ Pledged true (本人承诺属实)
clm-summary-ask = Tap "Submit" if everything is right, or a button below to change a field.
clm-hours-value = { $hours } hours
clm-hours-half-days = { $hours } hours ({ $half_days } half days)
clm-hours-proposed-note = {" "}(proposed; your unit sets the hours on review)
clm-confirm = ✅ Submit
clm-edit-year = Change year
clm-edit-category = Change category
clm-edit-title = Change title
clm-edit-organiser = Change organiser
clm-edit-dates = Change dates
clm-edit-hours = Change hours
clm-edit-evidence = Change evidence
clm-submitted = Claim #{ $id } "{ $title }" was submitted ({ $hours } hours, { $status }). It counts once your unit has verified it; you will be told the result.
clm-resume-button = ▶️ Continue the unfinished claim: { $what }
clm-resume-plain = ▶️ Continue the unfinished claim
clm-resumed = Carrying on with your claim:
clm-resume-gone = The unfinished claim is no longer there; please start again.
