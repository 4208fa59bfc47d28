## Reminder settings and administrators' broadcasts (bot/flows/notices.py)

cmd-desc-reminders = Reminder settings
cmd-desc-admin = Admin: notices and delivery reports (administrators)

ntc-settings-title = 🔔 Reminder settings
ntc-settings-on = Optional reminders: on. Before each deadline we remind you of what is still missing, on the days below.
ntc-settings-off = Optional reminders: off. You only get the final reminder before each deadline.
ntc-schedule-public = · Public subjects (deadline { $deadline }): reminders { $days } days before; the final one on { $final }.
ntc-schedule-professional = · Professional subjects (registration deadline { $deadline }): reminders { $days } days before; the final one on { $final }.
ntc-settings-final = The final reminder before each deadline cannot be turned off, so that no deadline is missed; notices from the administrators also still arrive.
ntc-settings-unbound = You have not linked your identity yet; reminders start once you have.
ntc-mute-button = 🔕 Turn off optional reminders
ntc-unmute-button = 🔔 Turn on optional reminders
ntc-muted = Optional reminders are off (the final reminder still comes).
ntc-unmuted = Optional reminders are on.

ntc-admin-only = Sorry, this is for administrators only. For access, please contact the regional training centre.
ntc-admin-title = 🛠 Admin: what would you like to do?
ntc-admin-broadcast-button = 📢 Send a notice
ntc-admin-reports-button = 📋 Latest campaigns

ntc-bc-ask-city = Send a notice · step 1 of 4: choose a city, or type its name.
ntc-bc-all-cities = All cities
ntc-bc-city-none = No city called “{ $city }” was found. Try another name or use the buttons.
ntc-bc-city-pick = These cities match; please choose one:
ntc-bc-ask-unit = Step 2: type a unit's unified social credit code or part of its name to search, or choose “All units”.
ntc-bc-ask-unit-city = Step 2: type the unified social credit code or part of the name of a unit in { $city } to search, or choose “All units”.
ntc-bc-all-units = All units
ntc-bc-unit-none = No unit matches. Try other words or the 18-character credit code.
ntc-bc-unit-none-city = No unit in { $city } matches. Try other words.
ntc-bc-unit-pick = Choose the unit (or type other words to search again):
ntc-bc-ask-status = Step 3: who should get it?
ntc-bc-status-all = Everyone
ntc-bc-status-public = Public subjects { $year } not done
ntc-bc-status-year = Year { $year } not complete
ntc-bc-ask-text = Step 4: type the notice (plain text, at most { $max } characters).
ntc-bc-text-empty = The notice cannot be empty; please type it again.
ntc-bc-text-long = The notice has { $length } characters, more than the { $max } allowed. Please shorten it and send it again.
ntc-bc-text-id = A notice must not contain an ID number. Please remove it and send the text again.
ntc-bc-filter = City: { $city }; unit: { $unit }; who: { $status }
ntc-bc-preview = 📋 Preview
    { $filter }
    It will go to { $count } accounts.
ntc-bc-preview-sample = This is how the message will look:
ntc-bc-nobody = No account matches, so nothing can be sent. Please choose the audience again.
ntc-bc-confirm-button = ✅ Send to { $count } accounts
ntc-bc-edit-button = ✏️ Edit the text
ntc-bc-restart-button = 🔁 Choose again
ntc-bc-no-policy = There is no policy for that year, so the audience cannot be chosen by study status. Please choose again.
ntc-bc-queued = ✅ { $queued } notices queued. Campaign: { $campaign }
ntc-bc-queued-short = { $queued } queued
ntc-bc-repeat = This notice was already queued (campaign { $campaign }); it was not queued again.
ntc-bc-stale-queued = ⚠️ This button is out of date: this notice is already queued for { $queued } people (campaign { $campaign }) and is not sent twice. The delivery report:
ntc-stale-admin = ⚠️ This button is out of date (from an earlier message). Here is the admin menu:
ntc-bc-window = Notices are only sent between { $start } and { $end }; they arrive over the next minutes.

ntc-report-button = 📊 Delivery report
ntc-report-refresh-button = 🔄 Refresh
ntc-report-title = 📊 { $kind } · { $campaign } ({ $created })
ntc-report-counts = queued { $queued } · sent { $sent } · failed { $failed } · unreachable { $unreachable } · pending { $pending }
ntc-report-other = unknown (maybe delivered) { $unknown } · expired { $expired }
ntc-report-not-started = Sending has not started yet.
ntc-report-duration = Took { $duration }; finished.
ntc-report-duration-running = { $duration } so far; still sending.
ntc-report-gone = That campaign was not found.
ntc-reports-title = 📊 Latest campaigns (press a number for its full report):
ntc-reports-none = There are no reminder or notice campaigns yet.
ntc-reports-line = { $n }. { $kind } · { $created } · queued { $queued }, sent { $sent }, failed { $failed }, unreachable { $unreachable }, pending { $pending }
ntc-kind-broadcast = Notice
ntc-kind-public = Public-subject reminder
ntc-kind-professional = Professional-subject reminder
ntc-kind-reviewer = Reviewer reminder
ntc-kind-unit_remind = Unit reminder
