## Unit review (bot/flows/review.py) and organisers' uploads (bot/flows/upload.py)

cmd-desc-review = 审验本单位的学时登记（审验人）
cmd-desc-upload = 上传学时文件（培训组织单位）

rvw-card =
    📄 登记 #{ $id }（{ $year } 年度）
    申报人：{ $name }（{ $masked }）
    类别：{ $category }
    名称：{ $title }
    主办单位：{ $organiser }
    日期：{ $dates }
    申报学时：{ $hours } 学时
    证明材料：{ $evidence } 份
rvw-dates-one = { $date }
rvw-dates-range = { $start } 至 { $end }
rvw-hours-by-reviewer = 该类别的学时由单位核定：可按申报学时通过，或点“核定学时”输入学时。
rvw-evidence-caption = 📎 登记 #{ $id } 的证明材料 { $number }/{ $total }
rvw-evidence-missing = ⚠️ 登记 #{ $id } 的第 { $number } 份证明材料无法读取，请联系管理员。

rvw-btn-approve = ✅ 通过
rvw-btn-approve-as = ✅ 按 { $hours } 学时通过
rvw-btn-set-hours = ✏️ 核定学时
rvw-btn-reject = ❌ 不通过
rvw-btn-approve-anyway = ✅ 仍然通过
rvw-btn-confirm-member = 👤 确认 { $name } 为本单位人员
rvw-btn-approve-all = ✅ 本页全部通过（{ $count } 条）
rvw-btn-next = ➡️ 下一页
rvw-btn-members = 👥 待确认人员（{ $count }）
rvw-btn-queue = 📝 待审验登记
rvw-btn-yes = ✅ 确认
rvw-btn-cancel = ✖️ 取消

rvw-queue-footer = 以上是 { $shown } 条待审验登记，请逐条点“通过”或“不通过”。
rvw-queue-left = 本页还有 { $left } 条待审验登记（已审验 { $done } 条）。
rvw-queue-page-done = 本页的 { $done } 条登记都已审验。
rvw-closed-head = ⏳ 以下登记所属年度的审验已截止，不能再审验，仅供查看：
rvw-queue-empty = 目前没有待审验的登记。
rvw-queue-end = 没有更多待审验的登记了。
rvw-what-next = 还有其他待审验的登记吗？
rvw-all-confirm = 确认按申报学时通过本页 { $count } 条登记？疑似重复或人员尚未确认的登记不会通过，需逐条处理。
rvw-all-done = 已通过 { $approved } 条；已由他人审验 { $already } 条；未能通过 { $refused } 条。已通过的登记已通知申报人。
rvw-all-refused-line = #{ $id }：{ $reason }
rvw-all-approved-line = ✅ #{ $id }“{ $title }”：已通过 { $hours } 学时
rvw-decided-approved = 已通过 ✅ { $hours } 学时（{ $who }于 { $at } 审验）
rvw-decided-rejected = 已退回：{ $reason }（{ $who }于 { $at } 审验）
rvw-decided-told = 已通知申报人。
rvw-by-you = 您
rvw-by-someone = 他人
rvw-approved-short = 已通过
rvw-rejected-short = 已退回
rvw-reason-ask = 请选择登记 #{ $id }“{ $title }”不通过的理由，或直接输入理由：
rvw-hours-ask = 请输入登记 #{ $id }“{ $title }”核定的学时（申报 { $claimed } 学时，单条上限 { $max } 学时），或按申报学时通过：
rvw-cancelled = 已取消，该登记仍待审验。
rvw-not-pending = 登记 #{ $id } 已不是待审验状态（{ $status }）。

rvw-members-head = 以下人员在机器人中选择了本单位，待您确认（共 { $count } 人）：
rvw-members-line = · { $name }（{ $masked }）
rvw-members-none = 目前没有待确认的人员。
rvw-member-already = { $name } 已确认为本单位人员，无需再次确认。

rvw-digest = 📝 本单位有 { $new } 条新的专业科目学时登记，共 { $pending } 条待审验。
rvw-told-rejected-common = 您登记的“{ $title }”未通过审验。理由：{ $code ->
        [blurry_evidence] { claim-reason-blurry_evidence }
        [above_cap] { claim-reason-above_cap }
        [no_category] { claim-reason-no_category }
        [outside_year] { claim-reason-outside_year }
        [duplicate_import] { claim-reason-duplicate_import }
        [not_professional] { claim-reason-not_professional }
       *[other] { $code }
    }

upl-ask-file = 请发送学时文件（CSV 或 XLSX，最大 { $max_mb } MB），学时来源记为“{ $source }”。表头：身份证号、姓名、年度、科目、课程编号、课程名称、学时、完成日期，可选：单位代码（须已登记）。
upl-not-a-file = 请以文件形式发送 CSV 或 XLSX 文件。
upl-bad-type = 不支持的文件类型 { $suffix }，请发送 .csv 或 .xlsx 文件。
upl-too-large = 文件过大（最大 { $max_mb } MB），请拆分后分批发送。
upl-fetch-failed = 文件下载失败，请重新发送。
upl-table-error = 无法读取 { $name }：{ $reason }。请检查后重新发送。
upl-bad-more = ……另有 { $count } 行有误。
upl-send-corrected = 请修改后重新发送文件，或点“取消”。
upl-file-name = 文件：{ $name }
upl-confirm-ask = 确认导入吗？同一文件再次导入不会重复计入。
upl-btn-confirm = ✅ 确认导入
upl-btn-cancel = ✖️ 取消
upl-cancelled = 已取消，未导入任何数据。
upl-file-gone = 预览的文件已失效，请重新发送。
upl-told-count = 已通知 { $count } 人。
upl-duplicates = 其中 { $count } 条与本人的登记疑似重复：{ $reopened } 条已通过的登记已退回单位重新核对；{ $unresolved } 条因审验已截止未作处理，请联系管理员。
upl-reading = 正在读取 { $name }，大文件需要一些时间……
upl-working = 正在处理文件，请稍候，完成后会在这里回复。
upl-previous = 这个文件已于 { $at } 导入过（共 { $rows } 行，新增 { $added } 条），无需再次导入。如有新的学时，请发送新的文件。
upl-import-unfinished = 导入没有完成，未写入任何数据。请重新发送文件。
upl-raced = 同一文件的另一次导入先完成了，本次未写入任何数据。请再发送一次文件：已导入的行不会重复计入。
