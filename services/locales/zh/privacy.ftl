## Personal information

cmd-desc-mydata = 我的数据（查看、导出、更正、删除）
cmd-desc-privacy = 个人信息保护
privacy-notice = 🔒 个人信息处理告知（{ $version } 版）
    绑定需要您的身份证号码，这是敏感个人信息。在您输入之前，请了解：
    · 谁处理：广西专业技术人员继续教育主管部门及其委托运营本服务的单位；
    · 处理什么：身份证号（加密保存，只显示打码号码）、姓名、单位、学习考试和学时申报记录及材料、证书；
    · 为什么：办理学时登记、单位审验、考试、证书发放与核验，以及规定的抽查和统计；
    · 保存多久：学时、成绩和证书在所属年度结束后保存 { $years } 年，解除绑定时立即删除聊天绑定；
    · 谁能看到：您本人、您单位的人事审验员、主管部门的管理员和审计员，每次查看都会记入访问日志。
    您可以随时在“我的数据”中查看、导出、申请更正或删除。全文：{ $url }
    您是否同意按上述方式处理您的身份证号码和个人信息？
privacy-notice-again = 🔒 个人信息处理告知已更新（{ $version } 版），请重新确认后继续使用。
    · 处理者、处理的信息与目的同前；学时、成绩和证书在所属年度结束后保存 { $years } 年；
    · 您单位的人事审验员、主管部门的管理员和审计员可以查看，每次查看都记入访问日志。
    全文：{ $url }
    您是否同意？不同意将解除本账号的绑定（单位依法保存的学时记录不受影响）。
privacy-agree = ✅ 同意
privacy-refuse = 不同意
privacy-read-full = 📄 阅读全文
privacy-thanks = 谢谢，您的同意已记录。
privacy-refused = 好的，您没有同意，我们不会收集您的身份证号码，也无法为您绑定。
    您仍可通过所在单位线下办理继续教育事项。改变主意时，发送 /start 即可。
privacy-refused-bound = 您没有同意新版告知，本账号的绑定已解除。单位依法保存的学时记录不受影响。
    改变主意时，发送 /start 重新绑定。
privacy-not-bound = 您还没有绑定身份，我们没有保存与本账号关联的个人信息。
privacy-summary-title = 🔒 我的数据
privacy-summary-person = · { $name }（{ $masked }），单位：{ $unit }
privacy-summary-records = · 学时记录（按年度）：{ $years }
privacy-summary-counts = · 学时申报 { $claims } 条，佐证材料 { $files } 个，考试 { $attempts } 次，证书 { $certificates } 张
privacy-summary-access = · 他人查看您数据的记录：{ $count } 条
privacy-summary-consent = · 已同意的告知版本：{ $version }；学时等记录在年度结束后保存 { $years } 年
privacy-choose = 您可以：
privacy-export = 📦 导出我的全部数据
privacy-access = 👁 谁查看过我的数据
privacy-correct = ✏️ 申请更正
privacy-erase = 🗑 解除绑定并申请删除
privacy-export-ready = 这是您的全部数据（data.json 和佐证材料）。文件只发给您本人，请妥善保管。
privacy-access-none = 目前没有他人查看您数据的记录。
privacy-access-title = 👁 最近的访问记录：
privacy-access-line = · { $at }  { $role }查看了{ $what }
privacy-what-claim = 学时申报
privacy-what-evidence = 佐证材料
privacy-what-report = 单位报表中的记录
privacy-what-record = 学时记录
privacy-what-export = 导出的数据
privacy-correct-ask = 请写明哪项信息需要更正、应当是什么（最多 { $max } 字）。我们会转给您单位的人事审验员处理。
privacy-correct-invalid = 请用文字说明需要更正的内容（1 到 { $max } 字）。
privacy-correct-sent = 已收到您的更正申请，并已转给您单位的人事审验员。
privacy-correct-no-reviewer = 已收到您的更正申请。您的单位暂无人事审验员，主管部门会处理；也可致电 0771-966111。
privacy-erase-confirm = 确定要解除绑定并申请删除吗？
    · 立即删除：本账号与您身份的绑定、聊天会话记录；
    · 依法保留：学时记录、考试成绩和证书保存到所属年度结束后 { $years } 年，期满自动删除。
privacy-erase-yes = 确定删除
privacy-erase-no = 取消
privacy-erase-kept = 好的，没有做任何更改。
privacy-erase-done = 已解除绑定并删除会话记录。
    依法保留的数据：学时记录 { $records } 条、证书 { $certificates } 张，保存至 { $until }，期满后自动删除。
privacy-correction-for-reviewer = ✏️ { $name }（{ $masked }）申请更正个人信息：
    “{ $text }”
    请核实后在系统中处理。
