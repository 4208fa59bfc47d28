## Main menu

menu-progress = 📊 我的学时
menu-help = ❓ 帮助
menu-language = 🌐 语言 / Language
menu-binding = 🪪 我的绑定
menu-back = ≡ 主菜单
menu-study = 📚 学习与考试
menu-claims = 📝 申报学时
menu-certs = 📜 我的证书
menu-review = ✅ 审核
menu-upload = 📥 导入学时
menu-reminders = 🔔 提醒设置
menu-reports = 📈 报表统计
menu-spot = 🔍 抽查
menu-people = 👥 人员与权限
menu-admin = 🛠 管理
menu-title = 请选择您要办理的事项：
menu-welcome-back = 欢迎回来！请选择您要办理的事项：

## Onboarding

onb-welcome = 您好！这里是广西专业技术人员继续教育助手。
    先花一分钟绑定您的身份，之后即可随时查看学时进度。
onb-restart = 好的，我们重新开始绑定。
onb-ask-id = 请输入您的18位居民身份证号码。
    （为保护隐私，读取后我们会删除这条消息，之后只显示打码后的号码。）
onb-id-ok = 已收到身份证号 { $masked }。
onb-ask-name = 请输入您的姓名（与身份证一致）。
onb-id-invalid-length = 身份证号应为18位，请检查后重新输入。
onb-id-invalid-format = 身份证号只能包含数字，最后一位可以是 X，请重新输入。
onb-id-invalid-checksum = 身份证号校验位不正确，可能有一位输错了，请核对后重新输入。
onb-id-invalid-birth_date = 身份证号中的出生日期不正确，请核对后重新输入。
onb-id-invalid-region = 身份证号的地区码不正确，请核对后重新输入。
    如果那不是您本人的操作，请联系服务中心：0771-966111。
onb-name-invalid = 姓名格式不正确（不能包含数字，最多50个字），请重新输入。
onb-name-formula = 姓名不能以 = + - @ 开头（电子表格会把它当作公式），请重新输入。
onb-name-control = 姓名中含有不允许的特殊字符（控制字符），请重新输入。
onb-name-mismatch = 您输入的姓名与该身份证号的登记信息不一致，请重新输入。
onb-ask-unit = 名单中暂未找到您的信息。请输入您所在单位的统一社会信用代码，或单位名称中的几个字进行搜索。
onb-unit-none = 没有找到匹配的单位，请换个关键词或输入18位统一社会信用代码再试。
onb-unit-pick = 请选择您的单位（找不到可以重新输入关键词搜索）：
onb-bound = ✅ 绑定成功！{ $name }（{ $masked }），单位：{ $unit }。
onb-bound-unconfirmed = ✅ 已为您登记并绑定：{ $name }（{ $masked }），单位：{ $unit }。
    您的单位归属需单位人事审验员确认，确认前部分功能可能受限。
onb-already-bound = 您已绑定 { $name }（{ $masked }）。如需更换，请在“我的绑定”中先解除绑定。
onb-refused-person_taken = 该身份已绑定在另一个账号上，无法重复绑定。如有疑问请联系服务中心：0771-966111。
onb-refused-account_bound = 本账号已绑定其他人员，请先在“我的绑定”中解除绑定。
onb-expired = 信息已发生变化，请发送 /start 重新开始绑定。
onb-locked = 错误次数过多，为保护账户安全已暂停输入。请在 { $until } 之后再试。

## Invitations

invite-ok = ✅ 邀请码有效，您已获得“{ $role }”权限。
invite-unknown = 邀请码无效，请核对链接是否完整。
invite-used = 该邀请码已被使用过，每个邀请码只能使用一次。请联系管理员重新生成。
invite-expired = 该邀请码已过期，请联系管理员重新生成。
role-reviewer = 单位人事审验员
role-organiser = 培训组织单位
role-admin = 管理员
role-auditor = 审计员

## Progress

prog-not-bound = 您还没有绑定身份，绑定后即可查看学时。
prog-no-policy = 暂无可用的年度政策，请稍后再试。
prog-title = 📊 { $name } 的 { $year } 年度学习进度
prog-year-button = 查看 { $year } 年度
prog-year-unknown = 没有 { $year } 年度的政策，无法显示该年度。
prog-demo-policy = （演示政策：由系统自动生成，并非正式通知。）
prog-fallback = （{ $current }年度政策尚未发布，以下按{ $shown }年度的规定显示。）
prog-mandatory-done = · 公需科目必修课：已完成（{ $hours } 学时）
prog-mandatory-missing = · 公需科目必修课：未完成（学完并通过考试得 { $hours } 学时）
prog-electives = · 公需科目选修课：{ $hours } / { $max } 学时
prog-professional = · 专业科目：已审验 { $verified } 学时，待审验 { $pending } 学时
prog-total = · 合计：{ $total } / { $min } 学时
prog-share-met = · 专业科目占比：已达到总学时的 { $share }
prog-share-missing = · 专业科目占比：未达到总学时的 { $share }
prog-complete = 🎉 本年度学习要求已全部完成。
prog-needed = 👉 还需要 { $hours } 个已审验的专业科目学时才能完成本年度要求。
prog-pending-note = （待审验学时经单位审验通过后才计入。）
prog-public-deadline = · 必修课截止：{ $date }，还剩 { $days } 天
prog-public-deadline-passed = · 必修课已于 { $date } 截止
prog-registration-deadline = · 专业科目登记及审验截止：{ $date }，还剩 { $days } 天
prog-registration-deadline-passed = · 专业科目登记及审验已于 { $date } 截止
prog-makeup-open = · 可在 { $until } 前补学补考，通过后计入该年度。
prog-last-year-complete = · { $year } 年度：已完成
prog-last-year-incomplete = · { $year } 年度：未完成（{ $total } / { $min } 学时）
prog-last-year-makeup = · { $year } 年度的公需科目现在仍可补学，通过后计入 { $year } 年度。
prog-unit-unconfirmed = ⚠️ 您的单位归属尚待单位人事审验员确认。

## Help

help-title = ❓ 帮助
help-rules = { $year } 年度规定（简要）：
    · 每年总学时不少于 { $min } 学时，其中专业科目不少于总学时的 { $share }。
    · 公需科目必修课学完并通过考试得 { $mandatory } 学时，考试可参加 { $attempts } 次；全部选修课学完得 { $electives } 学时。
    · 必修课须在 { $public_deadline } 前完成；专业科目须在 { $registration_deadline } 前登记并由单位审验。
    · 只有单位审验通过或导入的专业科目学时才计入。
help-contact = 自治区人力资源和社会保障培训中心
    电话：{ $phone }　邮箱：{ $email }
    服务时间：工作日 { $hours }
help-line-open = 🟢 服务热线现在在服务时间内。
help-line-closed = 🔴 现在不在服务时间内，可以先发邮件。
help-commands = 常用命令：/start 绑定身份，/menu 主菜单，/progress 我的学时，/study 学习与考试，/claim 申报学时，/certs 我的证书，/verify 验证证书，/mydata 我的数据，/help 帮助，/cancel 取消当前操作。

## Language

lang-choose = 请选择语言 / Choose your language:
lang-name-zh = 简体中文
lang-name-en = English
lang-set = 已切换为简体中文。

## Binding

bind-none = 您还没有绑定身份。
bind-start-button = 开始绑定
bind-show = 🪪 已绑定：{ $name }（{ $masked }）
    单位：{ $unit }
bind-no-unit = 未登记
bind-leave-button = 解除绑定
bind-role = 权限：{ $role }
leave-confirm = 确定要解除与 { $name } 的绑定吗？您的学时记录不会被删除。
leave-yes = 确定解除
leave-no = 保留绑定
leave-done = 已解除绑定。需要时可随时发送 /start 重新绑定。
leave-kept = 好的，绑定保持不变。

## Bad input

btn-stale = 这个按钮已过期，请使用最新消息中的按钮。
btn-stale-moved = 这个按钮已过期，已为您转到当前的步骤。
btn-stale-here = ⚠️ 这个按钮已过期（来自较早的消息）。您现在在这一步：
btn-stale-menu = ⚠️ 这个按钮已过期（来自较早的消息），它所属的事项已经结束。请从菜单继续：
btn-unknown = 无法识别这个按钮，请使用菜单。
cmd-unknown = 不认识命令 /{ $command }。
input-no-flow = 我没有理解您的意思，请从菜单中选择：
input-use-buttons = 请点击下方按钮进行选择。
input-not-expected = 这里不需要发送文件，请按提示输入文字。
flow-cancelled = 已取消当前操作。
flow-nothing-to-cancel = 当前没有进行中的操作。
flow-resume = 我们继续上次的操作：
err-busy = 您的操作太快了，请稍后再试一次。
err-generic = 抱歉，出了点问题，请稍后再试。如果问题持续，请联系服务中心 0771-966111。
err-restarted = 抱歉，服务刚刚重启，您上一条消息的回复可能没有送达。请再发一次，或发送 /menu 回到主菜单。
err-file-failed = 抱歉，文件这次没能生成（{ $name }）。您的记录没有受影响，请稍后再按一次按钮。

## Commands (Telegram menu)

cmd-desc-start = 绑定身份 / 开始
cmd-desc-menu = 主菜单
cmd-desc-progress = 我的学时
cmd-desc-help = 帮助与联系方式
cmd-desc-language = 切换语言
cmd-desc-binding = 我的绑定
cmd-desc-cancel = 取消当前操作
bot-description = 我帮助广西专业技术人员完成每年的继续教育：查询学时、学习公需科目并参加考试、申报专业科目学时由单位审核、下载证书，并在 12 月 31 日和 3 月 31 日截止前提醒您。请点击“开始”，再用身份证号和姓名绑定身份。
bot-short-description = 广西专业技术人员继续教育：学时查询、公需科目考试、学时申报、证书下载和截止提醒。
bot-edited-not-read = 我没有读取修改后的消息，请重新发送一条新消息。

## Console

console-banner = 广西专业技术人员继续教育助手（终端版）
    输入文字回复；出现选项时输入编号即可点击。/menu 主菜单，/quit 退出。
console-id-hidden = （您输入的身份证号已从屏幕上隐藏）
console-bye = 再见！
console-error = 抱歉，出了点问题，请再试一次。
console-no-file = 找不到这个文件，请检查路径（例如 /file ~/证书.jpg）。
