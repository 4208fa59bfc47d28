## Reminders (sent by the scheduler) and broadcasts

reminder-title = 📅 Continuing education reminder ({ $year })
reminder-final = ⏰ Final reminder: the { $year } deadline is { $deadline }, only { $days } day(s) left!
reminder-public-course = You have not finished the { $year } mandatory public course yet. Finish the course, then take the exam.
reminder-public-exam = You have finished the { $year } mandatory course, but not passed its exam yet. Please take the exam soon.
reminder-public-attempts = Exam attempts left: { $attempts }.
reminder-professional-needed = For { $year } you still need { $needed } professional hours verified by your unit.
reminder-professional-pending = Another { $pending } hours are waiting for your unit's verification.
reminder-reviewer-claims = { $claims } claims of your unit for { $year } are waiting for verification.
reminder-open-queue = 📝 Review now
reminder-days-left = Deadline: { $deadline } ({ $days } day(s) left).
reminder-broadcast = 📢 Notice: { $message }

## Command line: broadcasts, reminders, scheduler

cli-broadcast-preview = Matching accounts: { $count }.
cli-broadcast-confirm = Send this notice to these { $count } accounts?
cli-broadcast-nobody = No account matches; nothing was queued.
cli-broadcast-queued = Queued { $queued } notices (campaign { $campaign }).
cli-broadcast-repeat = This notice was already queued (campaign { $campaign }); nothing queued again.
cli-broadcast-empty = The notice text must not be empty.
cli-broadcast-id-number = The notice contains an ID number (perhaps written with spaces or full-width digits); a notice to many people must not carry one. Remove it and try again.
cli-broadcast-bad-status = Status must be all, complete, incomplete or public_incomplete.
cli-broadcast-too-long = The notice has { $length } characters; one Telegram message takes at most { $max } (with the "Notice:" heading). Shorten it or send it as two notices.
cli-campaign-no-policy = There is no policy file for that year.
cli-campaign-unknown = No such campaign: { $campaign }
cli-reminders-none = No reminders are due on { $date }.
cli-reminders-queued = { $campaign }: { $queued } newly queued.
cli-reminders-repeat = { $campaign }: already run; nothing queued again.
cli-report-title = Campaign { $campaign } ({ $kind })
cli-report-line = queued { $queued }, sent { $sent }, failed { $failed }, unreachable { $unreachable }, unknown { $unknown }, expired { $expired }, pending { $pending }
cli-report-duration = Duration: { $seconds } s
cli-report-not-finished = Not finished sending yet.
cli-scheduler-standby = Another scheduler is running; this one waits on standby.
cli-scheduler-started = Scheduler started (Ctrl+C to stop).
cli-scheduler-no-channel = There is no channel to send to: set TELEGRAM_BOT_TOKEN or WECHAT_APP_ID in .env (every setting is described in .env.example).
cli-scheduler-bad-templates = The WeChat templates are set wrongly; please check WECHAT_TEMPLATES in .env: { $reason }
cli-unknown-none = No message is left unknown: nothing to resend.
cli-unknown-title = { $total } message(s) were being sent when the sender stopped or lost the answer: Telegram may or may not have delivered them.
cli-unknown-row = #{ $id }  { $campaign }  account { $account }  queued { $created }  ({ $error })
cli-unknown-more = …and { $more } more (run the command again afterwards, or choose one --campaign).
cli-unknown-risk = Queueing them again reaches whoever did not get them, but whoever did get one gets it twice. The sender never decides this by itself.
cli-unknown-confirm = Queue these { $count } message(s) again?
cli-unknown-requeued = Queued again: { $count }. The sender sends them on its next pass; the decision is in the audit log.
