## Reminders (sent by the scheduler) and broadcasts

reminder-title = 📅 继续教育提醒（{ $year } 年度）
reminder-final = ⏰ 最后提醒：{ $year } 年度的截止日期是 { $deadline }，只剩 { $days } 天！
reminder-public-course = 您尚未完成 { $year } 年度公需科目必修课，请先学完课程，再参加考试。
reminder-public-exam = 您已学完 { $year } 年度必修课，但考试还未通过，请尽快参加考试。
reminder-public-attempts = 剩余考试次数：{ $attempts } 次。
reminder-professional-needed = 您 { $year } 年度还差 { $needed } 个经单位审验的专业科目学时才能达标。
reminder-professional-pending = 另有 { $pending } 学时正在等待单位审验。
reminder-reviewer-claims = 您单位还有 { $claims } 条 { $year } 年度学时申报等待审验。
reminder-open-queue = 📝 去审验
reminder-days-left = 截止日期：{ $deadline }（还剩 { $days } 天）。
reminder-broadcast = 📢 通知：{ $message }

## Command line: broadcasts, reminders, scheduler

cli-broadcast-preview = 符合条件的账号：{ $count } 个。
cli-broadcast-confirm = 确认向这 { $count } 个账号发送通知吗？
cli-broadcast-nobody = 没有符合条件的账号，未发送。
cli-broadcast-queued = 已排队 { $queued } 条通知（活动 { $campaign }）。
cli-broadcast-repeat = 这条通知已排队过（活动 { $campaign }），本次未重复排队。
cli-broadcast-empty = 通知内容不能为空。
cli-broadcast-id-number = 通知内容里有身份证号（可能带空格或全角数字）；发给多人的通知不能包含身份证号，请删除后重试。
cli-broadcast-bad-status = 状态只能是 all、complete、incomplete 或 public_incomplete。
cli-broadcast-too-long = 通知内容有 { $length } 个字符，一条 Telegram 消息（含“通知：”标题）最多 { $max } 个。请精简，或分成两条通知发送。
cli-campaign-no-policy = 没有对应年度的政策文件。
cli-campaign-unknown = 没有这个活动：{ $campaign }
cli-reminders-none = { $date } 没有到期的提醒。
cli-reminders-queued = { $campaign }：新排队 { $queued } 条。
cli-reminders-repeat = { $campaign }：已运行过，未重复排队。
cli-report-title = 活动 { $campaign }（{ $kind }）
cli-report-line = 已排队 { $queued }，已发送 { $sent }，失败 { $failed }，无法送达 { $unreachable }，状态未知 { $unknown }，已过期 { $expired }，待发送 { $pending }
cli-report-duration = 用时：{ $seconds } 秒
cli-report-not-finished = 尚未发送完毕。
cli-scheduler-standby = 另一个调度进程正在运行，本进程待命。
cli-scheduler-started = 调度进程已启动（按 Ctrl+C 停止）。
cli-scheduler-no-channel = 没有可发送的渠道：请在 .env 中设置 TELEGRAM_BOT_TOKEN 或 WECHAT_APP_ID（各项设置见 .env.example）。
cli-scheduler-bad-templates = 微信模板设置有误，请检查 .env 中的 WECHAT_TEMPLATES：{ $reason }
cli-unknown-none = 没有状态不明的消息，无需重发。
cli-unknown-title = 有 { $total } 条消息在发送时发送进程停止或没有收到答复：Telegram 可能已送达，也可能没有。
cli-unknown-row = #{ $id }  { $campaign }  账号 { $account }  排队于 { $created }（{ $error }）
cli-unknown-more = ……另有 { $more } 条（处理完这些后再运行一次，或用 --campaign 指定活动）。
cli-unknown-risk = 重新排队能让没收到的人收到，但已经收到的人会收到两次。发送进程不会自行决定重发。
cli-unknown-confirm = 确认把这 { $count } 条消息重新排队吗？
cli-unknown-requeued = 已重新排队 { $count } 条，发送进程下一轮发出；本次决定已记入审计日志。
