## Reports: the unit report, "who still needs what", province statistics (bot and command line)

cmd-desc-report = Reports (reviewers, administrators)

rep-not-allowed = Reports are for unit reviewers and administrators.
rep-no-years = No yearly policy is active yet, so no report can be made.
rep-choose = 📈 Which report would you like?
rep-button-unit = Unit report { $year }
rep-button-named-unit = { $unit } { $year }
rep-button-stats = Province statistics { $year }
rep-button-needed = 🧾 Who still needs what
rep-button-remind = 📣 Remind them ({ $count })

rep-refused-not_allowed = Reports are for unit reviewers and administrators.
rep-refused-other_unit = You can only see your own unit's report.
rep-refused-not_admin = Province statistics are for administrators.
rep-refused-unknown_unit = No unit found: { $unit }
rep-refused-no_policy = { $year } has no active policy, so no report can be made.

rep-unit-summary = 📈 { $unit }, { $year }: { $members } people, { $complete } complete ({ $share }), { $mandatory } finished the mandatory course; professional hours awaiting verification: { $pending }.
rep-unit-empty = The unit has no members yet.
rep-unit-all-done = ✅ Everyone is complete and has finished this year's mandatory course.
rep-unit-missing-most = { $count } people are not done yet; those missing the most:
rep-needed-line = · { $name }: { $missing }
rep-needed-line-masked = · { $name } ({ $masked }): { $missing }
rep-needed-title = 🧾 { $unit }, { $year }: who still needs what ({ $count } people, most missing first):
rep-needed-more = …and { $count } more; the full list is on the "Who still needs what" sheet of the XLSX report.
rep-file-unit = 📎 Unit report of { $unit }, { $year } (XLSX)
rep-file-stats = 📎 Province statistics { $year } (XLSX)
rep-file-chart = 📊 Completion by city, { $year }

rep-remind-queued = 📣 Reminders queued for { $queued } people ({ $needing } need one; { $unreachable } of them are not bound or cannot be reached). They go out during sending hours.
rep-remind-queued-short = { $queued } reminders queued
rep-remind-repeat = These members were already reminded today ({ $queued } messages); nothing is sent twice on one day.
rep-remind-repeat-short = Already reminded today
rep-remind-notice =
    📣 { $unit } reminds you: your continuing education for { $year } is not complete yet.{ $mandatory ->
        [no] {" "}The public mandatory course is not finished (deadline { $deadline }).
       *[yes] {""}
    }{ $professional ->
        [yes] {" "}You still need { $needed } professional hours verified by your unit (register by { $registration }).
       *[no] {""}
    }

rep-missing-mandatory = mandatory course not finished
rep-missing-professional = { $hours } professional hours short
rep-missing-share = professional share too low
rep-missing-pending = { $hours } hours awaiting verification
rep-list-sep = {"; "}
rep-nothing-missing = nothing
rep-yes = yes
rep-no = no
rep-none = no record
rep-never = never
rep-no-reviewer = no reviewer
rep-no-unit = (no unit)
rep-total = Total

rep-sheet-report = Unit report { $year }
rep-sheet-needed = Who still needs what
rep-sheet-cities = By city
rep-sheet-units = By unit
rep-sheet-pending = Pending claims
rep-sheet-idle = Waiting over { $days } days

rep-col-no = No.
rep-col-name = Name
rep-col-id = ID number (masked)
rep-col-confirmed = Unit confirmed
rep-col-mandatory = Public mandatory hours
rep-col-electives = Public elective hours
rep-col-verified = Professional hours verified
rep-col-pending = Professional hours pending
rep-col-total = Total hours
rep-col-complete = Complete
rep-col-needed = Professional hours still needed
rep-col-missing = Still needed
rep-col-excellent = May be rated excellent
rep-col-title = Title condition ({ $year } mandatory course)
rep-col-last-year = Complete in { $year }
rep-col-people = People
rep-col-complete-count = Complete
rep-col-share = Share complete
rep-col-mandatory-count = Mandatory course done
rep-col-mandatory-hours = Public mandatory hours
rep-col-elective-hours = Public elective hours
rep-col-verified-hours = Professional hours verified
rep-col-pending-hours = Professional hours pending
rep-col-city = City
rep-col-units = Units
rep-col-code = Credit code
rep-col-unit = Unit
rep-col-claims = Pending claims
rep-col-oldest = Oldest pending since
rep-col-stale = Claims older than { $days } days
rep-col-last-decision = Last decision
rep-col-reviewers = Reviewers

rep-chart-title = Completion by city, { $year } (province: { $share })
rep-chart-x = Share complete (%)
rep-chart-empty = No data yet

rep-stats-title = 📊 Province statistics { $year }: { $people } people, { $complete } complete ({ $share }).
rep-stats-hours = Hours: mandatory { $mandatory }, electives { $electives }, professional verified { $verified }, pending { $pending }.
rep-stats-city = · { $city }: { $people } people, { $complete } complete ({ $share }), { $claims } claims pending
rep-stats-pending = { $claims } claims pending in all; the units with most:
rep-stats-pending-unit = · { $unit } ({ $code }): { $claims }
rep-stats-idle = ⚠️ { $count } units have claims waiting over { $days } days with no decision by their reviewers in that time:
rep-stats-idle-unit = · { $unit }: { $claims } claims, oldest { $since }; reviewers: { $reviewers }

rep-cli-bad-format = The format must be one of: { $formats }
rep-cli-bad-days = The number of days cannot be negative.
rep-cli-written = Written to { $path } ({ $rows } people).
rep-cli-file = Written to { $path }
