## Main menu

menu-progress = 📊 My progress
menu-help = ❓ Help
menu-language = 🌐 Language / 语言
menu-binding = 🪪 My binding
menu-back = ≡ Main menu
menu-study = 📚 Study and exam
menu-claims = 📝 Claim hours
menu-certs = 📜 My certificates
menu-review = ✅ Review
menu-upload = 📥 Import hours
menu-reminders = 🔔 Reminder settings
menu-reports = 📈 Reports
menu-spot = 🔍 Spot checks
menu-people = 👥 People and roles
menu-admin = 🛠 Administration
menu-title = What would you like to do?
menu-welcome-back = Welcome back! What would you like to do?

## Onboarding

onb-welcome = Hello! This is the Guangxi continuing-education assistant for professionals.
    Link your identity once (about a minute) and you can check your hours at any time.
onb-restart = All right, let's start the binding again.
onb-ask-id = Please enter your 18-character resident ID number.
    (For your privacy we delete that message once read and only ever show the number masked.)
onb-id-ok = ID number { $masked } received.
onb-ask-name = Please enter your name as on your ID card.
onb-id-invalid-length = An ID number has 18 characters. Please check it and try again.
onb-id-invalid-format = An ID number has only digits, with an X allowed at the end. Please try again.
onb-id-invalid-checksum = The check digit does not match; one character may be mistyped. Please check and try again.
onb-id-invalid-birth_date = The birth date inside the ID number is not valid. Please check and try again.
onb-id-invalid-region = The region code of the ID number is not valid. Please check and try again.
onb-person-taken = ID number { $masked } is already bound to another account and cannot be bound twice.
    If that was not you, please call the service centre: 0771-966111.
onb-name-invalid = That name does not look right (no digits, at most 50 characters). Please try again.
onb-name-mismatch = The name does not match our record for this ID number. Please try again.
onb-ask-unit = You are not in the roster yet. Enter your employer's unified social credit code, or a few characters of its name, to search.
onb-unit-none = No unit matches. Try other words or the 18-character unified social credit code.
onb-unit-pick = Please pick your unit (or type other words to search again):
onb-bound = ✅ Done! You are bound as { $name } ({ $masked }), unit: { $unit }.
onb-bound-unconfirmed = ✅ Registered and bound: { $name } ({ $masked }), unit: { $unit }.
    Your unit's HR reviewer still has to confirm that you belong to it.
onb-already-bound = You are bound as { $name } ({ $masked }). To change it, leave the binding first under "My binding".
onb-refused-person_taken = This person is already bound to another account. Questions: service centre 0771-966111.
onb-refused-account_bound = This account is bound to someone else; leave that binding first under "My binding".
onb-expired = Something changed meanwhile. Please send /start to begin again.
onb-locked = Too many wrong tries: input is paused to protect your account. Please try again after { $until } (Beijing time).

## Invitations

invite-ok = ✅ Invitation accepted: you now have the role "{ $role }".
invite-unknown = This invitation code is not valid. Please check that the link is complete.
invite-used = This invitation code has already been used; each code works once. Ask the administrator for a new one.
invite-expired = This invitation code has expired. Ask the administrator for a new one.
role-reviewer = unit HR reviewer
role-organiser = training organiser
role-admin = administrator
role-auditor = auditor

## Progress

prog-not-bound = You have not bound your identity yet. Bind it to see your hours.
prog-no-policy = No yearly policy is available yet. Please try again later.
prog-title = 📊 { $name }: progress for { $year }
prog-fallback = (The { $current } policy has not been published yet; this shows the { $shown } rules.)
prog-mandatory-done = · Public mandatory course: done ({ $hours } hours)
prog-mandatory-missing = · Public mandatory course: not done yet ({ $hours } hours once the course and its exam are passed)
prog-electives = · Public electives: { $hours } of { $max } hours
prog-professional = · Professional subjects: { $verified } hours verified, { $pending } hours waiting for verification
prog-total = · Total: { $total } of { $min } hours
prog-share-met = · Professional share: at least { $share } of the total, as required
prog-share-missing = · Professional share: below the required { $share } of the total
prog-complete = 🎉 You have met this year's requirement.
prog-needed = 👉 You need { $hours } more verified professional hours to complete the year.
prog-pending-note = (Hours waiting for verification count once your unit approves them.)
prog-public-deadline = · Mandatory course deadline: { $date }, { $days } days left
prog-public-deadline-passed = · The mandatory course closed on { $date }
prog-registration-deadline = · Professional hours registration and verification deadline: { $date }, { $days } days left
prog-registration-deadline-passed = · Professional hours registration and verification closed on { $date }
prog-makeup-open = · You can make the public subjects up until { $until }; they then count for that year.
prog-last-year-complete = · { $year }: complete
prog-last-year-incomplete = · { $year }: not complete ({ $total } of { $min } hours)
prog-last-year-makeup = · The { $year } public subjects can still be made up; they count for { $year }.
prog-unit-unconfirmed = ⚠️ Your unit still has to be confirmed by its HR reviewer.

## Help

help-title = ❓ Help
help-rules = Rules for { $year } in short:
    · At least { $min } hours a year, of which professional subjects are at least { $share } of the total.
    · The public mandatory course gives { $mandatory } hours once its exam is passed ({ $attempts } attempts); all electives together give { $electives } hours.
    · The mandatory course is due by { $public_deadline }; professional hours must be registered and verified by your unit by { $registration_deadline }.
    · Only professional hours verified by your unit or imported by an organiser count.
help-contact = Guangxi HR and Social Security Training Centre
    Phone: { $phone }   E-mail: { $email }
    Hours: working days { $hours } (Beijing time)
help-line-open = 🟢 The service line is open now.
help-line-closed = 🔴 The service line is closed now; e-mail works any time.
help-commands = Commands: /start bind, /menu main menu, /progress my progress, /help help, /cancel cancel the current step.

## Language

lang-choose = 请选择语言 / Choose your language:
lang-name-zh = 简体中文
lang-name-en = English
lang-set = Language set to English.

## Binding

bind-none = You have not bound your identity yet.
bind-start-button = Bind now
bind-show = 🪪 Bound to: { $name } ({ $masked })
    Unit: { $unit }
bind-no-unit = none recorded
bind-leave-button = Leave this binding
bind-role = Role: { $role }
leave-confirm = Leave the binding to { $name }? Your hour records are kept.
leave-yes = Yes, leave
leave-no = Keep it
leave-done = The binding is removed. Send /start whenever you want to bind again.
leave-kept = All right, nothing changed.

## Bad input

btn-stale = This button is out of date. Please use the buttons of the latest message.
btn-unknown = This button is not recognised. Please use the menu.
cmd-unknown = Unknown command /{ $command }.
input-no-flow = Sorry, I did not understand. Please choose from the menu:
input-use-buttons = Please choose with the buttons below.
input-not-expected = No file is needed here; please answer in text.
flow-cancelled = Cancelled.
flow-nothing-to-cancel = There is nothing to cancel.
flow-resume = Let's continue where you left off:
err-busy = That was too fast; please try again.
err-generic = Sorry, something went wrong. Please try again later; if it persists, call the service centre on 0771-966111.

## Commands (Telegram menu)

cmd-desc-start = Bind your identity / start
cmd-desc-menu = Main menu
cmd-desc-progress = My progress
cmd-desc-help = Help and contacts
cmd-desc-language = Change language
cmd-desc-binding = My binding
cmd-desc-cancel = Cancel the current step

## Console

console-banner = Guangxi continuing-education assistant (terminal)
    Type your answers; when options appear, type their number. /menu main menu, /quit to leave.
console-id-hidden = (the ID number you typed has been hidden from the screen)
console-bye = Goodbye!
console-error = Sorry, something went wrong. Please try again.
console-no-file = That file was not found; check the path (for example /file ~/certificate.jpg).
