## Reminder settings and administrators' broadcasts (bot/flows/notices.py)

cmd-desc-reminders = 提醒设置
cmd-desc-admin = 管理：群发通知与发送报告（管理员）

ntc-settings-title = 🔔 提醒设置
ntc-settings-on = 可选提醒：已开启。截止日期前，我们会按下面的安排提醒您还差什么。
ntc-settings-off = 可选提醒：已关闭。您只会收到每个截止日期前的最后一次提醒。
ntc-schedule-public = · 公需科目（截止 { $deadline }）：提前 { $days } 天提醒，最后一次提醒在 { $final }。
ntc-schedule-professional = · 专业科目（登记截止 { $deadline }）：提前 { $days } 天提醒，最后一次提醒在 { $final }。
ntc-settings-final = 每个截止日期前的最后一次提醒无法关闭，以免错过截止日期；管理员发布的通知也会照常送达。
ntc-settings-unbound = 您还没有绑定身份，绑定后才会收到提醒。
ntc-mute-button = 🔕 关闭可选提醒
ntc-unmute-button = 🔔 开启可选提醒
ntc-muted = 已关闭可选提醒（最后一次提醒仍会发送）。
ntc-unmuted = 已开启可选提醒。

ntc-admin-only = 抱歉，这项功能仅限管理员使用。如需权限，请联系自治区培训中心。
ntc-admin-title = 🛠 管理：请选择要办理的事项。
ntc-admin-broadcast-button = 📢 群发通知
ntc-admin-reports-button = 📋 最近的活动

ntc-bc-ask-city = 群发通知 · 第 1 步（共 4 步）：选择城市，或直接输入城市名称。
ntc-bc-all-cities = 全部城市
ntc-bc-city-none = 没有找到城市“{ $city }”，请换个名称或从按钮中选择。
ntc-bc-city-pick = 找到以下城市，请选择：
ntc-bc-ask-unit = 第 2 步：输入单位的统一社会信用代码或名称中的几个字进行搜索，或选择“全部单位”。
ntc-bc-ask-unit-city = 第 2 步：输入{ $city }单位的统一社会信用代码或名称中的几个字进行搜索，或选择“全部单位”。
ntc-bc-all-units = 全部单位
ntc-bc-unit-none = 没有找到匹配的单位，请换个关键词或输入18位统一社会信用代码再试。
ntc-bc-unit-none-city = 在{ $city }没有找到匹配的单位，请换个关键词再试。
ntc-bc-unit-pick = 请选择单位（找不到可以重新输入关键词搜索）：
ntc-bc-ask-status = 第 3 步：发送给哪些人？
ntc-bc-status-all = 所有人
ntc-bc-status-public = { $year } 年度公需科目未完成的人
ntc-bc-status-year = { $year } 年度学时未达标的人
ntc-bc-ask-text = 第 4 步：请输入通知内容（纯文本，最多 { $max } 字）。
ntc-bc-text-empty = 通知内容不能为空，请重新输入。
ntc-bc-text-long = 通知内容有 { $length } 字，超过了 { $max } 字的上限，请精简后重新输入。
ntc-bc-text-id = 通知中不能包含身份证号码，请删除后重新输入。
ntc-bc-filter = 城市：{ $city }；单位：{ $unit }；对象：{ $status }
ntc-bc-preview = 📋 预览
    { $filter }
    将发送给 { $count } 个账号。
ntc-bc-preview-sample = 收到的消息如下：
ntc-bc-nobody = 没有符合条件的账号，无法发送。请重新筛选。
ntc-bc-confirm-button = ✅ 确认发送（{ $count } 个账号）
ntc-bc-edit-button = ✏️ 修改内容
ntc-bc-restart-button = 🔁 重新筛选
ntc-bc-no-policy = 没有对应年度的政策文件，无法按学习情况筛选，请重新筛选。
ntc-bc-queued = ✅ 已排队 { $queued } 条通知。活动编号：{ $campaign }
ntc-bc-queued-short = 已排队 { $queued } 条
ntc-bc-repeat = 这条通知已经排队过（活动 { $campaign }），没有重复发送。
ntc-bc-stale-queued = ⚠️ 这个按钮已过期：这条通知已排队，共 { $queued } 人（活动 { $campaign }），不会重复发送。可以查看发送报告：
ntc-stale-admin = ⚠️ 这个按钮已过期（来自较早的消息）。以下是管理菜单：
ntc-bc-window = 通知只在每天 { $start }–{ $end } 之间发送，会陆续送达。

ntc-report-button = 📊 查看发送报告
ntc-report-refresh-button = 🔄 刷新
ntc-report-title = 📊 { $kind } · { $campaign }（{ $created }）
ntc-report-counts = 已排队 { $queued } · 已发送 { $sent } · 失败 { $failed } · 无法送达 { $unreachable } · 待发送 { $pending }
ntc-report-other = 状态未知（可能已送达）{ $unknown } · 已过期 { $expired }
ntc-report-not-started = 尚未开始发送。
ntc-report-duration = 用时 { $duration }，发送已结束。
ntc-report-duration-running = 已用时 { $duration }，仍在发送中。
ntc-report-gone = 没有找到这个活动。
ntc-reports-title = 📊 最近的活动（点编号查看详细报告）：
ntc-reports-none = 还没有任何提醒或通知活动。
ntc-reports-line = { $n }. { $kind } · { $created } · 排队 { $queued }，已发 { $sent }，失败 { $failed }，无法送达 { $unreachable }，待发 { $pending }
ntc-kind-broadcast = 通知
ntc-kind-public = 公需科目提醒
ntc-kind-professional = 专业科目提醒
ntc-kind-reviewer = 审验提醒
ntc-kind-unit_remind = 单位催办
