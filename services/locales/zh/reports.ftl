## Reports: the unit report, "who still needs what", province statistics (bot and command line)

cmd-desc-report = 报表统计（审验人、管理员）

rep-not-allowed = 报表只对单位审验人和管理员开放。
rep-no-years = 目前没有已启用的年度政策，暂时无法生成报表。
rep-choose = 📈 请选择要查看的报表：
rep-button-unit = 单位报表 { $year }
rep-button-named-unit = { $unit } { $year }
rep-button-stats = 全区统计 { $year }
rep-button-needed = 🧾 还差什么
rep-button-remind = 📣 提醒他们（{ $count } 人）

rep-refused-not_allowed = 报表只对单位审验人和管理员开放。
rep-refused-other_unit = 您只能查看自己单位的报表。
rep-refused-not_admin = 全区统计只对管理员开放。
rep-refused-unknown_unit = 没有找到单位：{ $unit }
rep-refused-no_policy = { $year } 年度没有已启用的政策，无法生成报表。

rep-unit-summary = 📈 { $unit } { $year } 年度：共 { $members } 人，已达标 { $complete } 人（{ $share }），已完成必修课 { $mandatory } 人；待审验专业科目学时 { $pending }。
rep-unit-empty = 单位名下还没有人员。
rep-unit-all-done = ✅ 全部人员都已达标，并完成了本年度必修课。
rep-unit-missing-most = 还有 { $count } 人未完成，差得最多的是：
rep-needed-line = · { $name }：{ $missing }
rep-needed-line-masked = · { $name }（{ $masked }）：{ $missing }
rep-needed-title = 🧾 { $unit } { $year } 年度还差什么（{ $count } 人，差得最多的在前）：
rep-needed-more = ……另有 { $count } 人，完整名单见 XLSX 报表的“还差什么”工作表。
rep-file-unit = 📎 { $unit } { $year } 年度单位报表（XLSX）
rep-file-stats = 📎 { $year } 年度全区统计（XLSX）
rep-file-chart = 📊 { $year } 年度各地市达标率

rep-remind-queued = 📣 已为 { $queued } 人排队发送提醒（需要提醒 { $needing } 人，其中 { $unreachable } 人尚未绑定或无法送达）。提醒将在发送时段内送出。
rep-remind-queued-short = 已排队 { $queued } 条提醒
rep-remind-repeat = 今天已经提醒过这些人员（{ $queued } 条），同一天不会重复发送。
rep-remind-repeat-short = 今天已提醒过
rep-remind-notice =
    📣 { $unit }提醒您：您的 { $year } 年度继续教育还没有完成。{ $mandatory ->
        [no] 公需科目必修课尚未完成（截止 { $deadline }）。
       *[yes] {""}
    }{ $professional ->
        [yes] 还差 { $needed } 个经单位审验的专业科目学时（登记截止 { $registration }）。
       *[no] {""}
    }

rep-missing-mandatory = 必修课未完成
rep-missing-professional = 还差 { $hours } 个专业科目学时
rep-missing-share = 专业科目学时占比不足
rep-missing-pending = { $hours } 学时待审验
rep-list-sep = ；
rep-nothing-missing = 无
rep-yes = 是
rep-no = 否
rep-none = 无记录
rep-never = 从未审验
rep-no-reviewer = 无审验人
rep-no-unit = （无单位）
rep-total = 合计

rep-sheet-report = { $year } 年度单位报表
rep-sheet-needed = 还差什么
rep-sheet-cities = 按地市
rep-sheet-units = 按单位
rep-sheet-pending = 待审验申报
rep-sheet-idle = 超过 { $days } 天未审验

rep-col-no = 序号
rep-col-name = 姓名
rep-col-id = 身份证号（脱敏）
rep-col-confirmed = 单位已确认
rep-col-mandatory = 公需必修课学时
rep-col-electives = 公需选修课学时
rep-col-verified = 专业科目已审验学时
rep-col-pending = 专业科目待审验学时
rep-col-total = 总学时
rep-col-complete = 是否达标
rep-col-needed = 还差专业科目学时
rep-col-missing = 还差什么
rep-col-excellent = 可评优秀
rep-col-title = 职称申报条件（{ $year } 年度必修课）
rep-col-last-year = { $year } 年度是否达标
rep-col-people = 人数
rep-col-complete-count = 达标人数
rep-col-share = 达标率
rep-col-mandatory-count = 完成必修课人数
rep-col-mandatory-hours = 公需必修课学时
rep-col-elective-hours = 公需选修课学时
rep-col-verified-hours = 专业科目已审验学时
rep-col-pending-hours = 专业科目待审验学时
rep-col-city = 地市
rep-col-units = 单位数
rep-col-code = 统一社会信用代码
rep-col-unit = 单位名称
rep-col-claims = 待审验申报数
rep-col-oldest = 最早待审验时间
rep-col-stale = 超过 { $days } 天的申报数
rep-col-last-decision = 最近一次审验
rep-col-reviewers = 审验人

rep-chart-title = { $year } 年度各地市继续教育达标率（全区 { $share }）
rep-chart-x = 达标率（%）
rep-chart-empty = 暂无数据

rep-stats-title = 📊 { $year } 年度全区统计：共 { $people } 人，已达标 { $complete } 人（{ $share }）。
rep-stats-hours = 学时合计：必修课 { $mandatory }，选修课 { $electives }，专业科目已审验 { $verified }，待审验 { $pending }。
rep-stats-city = · { $city }：{ $people } 人，达标 { $complete } 人（{ $share }），待审验申报 { $claims } 条
rep-stats-pending = 待审验申报共 { $claims } 条，最多的单位：
rep-stats-pending-unit = · { $unit }（{ $code }）：{ $claims } 条
rep-stats-idle = ⚠️ 有 { $count } 个单位的申报已等待超过 { $days } 天，期间审验人没有处理任何申报：
rep-stats-idle-unit = · { $unit }：{ $claims } 条，最早 { $since }；审验人：{ $reviewers }

rep-cli-bad-format = 格式只能是：{ $formats }
rep-cli-bad-days = 天数不能为负数。
rep-cli-written = 已写入 { $path }（{ $rows } 人）。
rep-cli-file = 已写入 { $path }
