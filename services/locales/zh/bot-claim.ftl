## The claimant's side of professional-hour claims in the bot (bot/flows/claim.py)

cmd-desc-claim = 申报专业科目学时

clm-not-bound = 登记专业科目学时前，请先绑定身份信息。
clm-title = 📝 我的专业科目学时登记
clm-open-years = 现可登记年度：{ $years }
clm-no-open-year = 现在没有可以登记专业科目学时的年度。
clm-none = 可登记年度内您还没有登记。
clm-list-item = #{ $id } { $title }（{ $year } 年度 · { $category }）
clm-list-state = 　{ $hours } 学时 · { $status }
clm-list-proposed = 　建议 { $hours } 学时（由单位核定）· { $status }
clm-list-rejected = 　{ $hours } 学时 · { $status }。理由：{ $reason }
clm-more = ……另有 { $count } 条较早的登记未列出。
clm-new-button = ➕ 新登记
clm-withdraw-button = ↩️ 撤回 #{ $id }
clm-withdraw-confirm = 确定撤回登记 #{ $id }“{ $title }”吗？撤回后单位不再审验；如有需要，可以重新登记。
clm-withdraw-yes = 确定撤回
clm-withdraw-no = 不撤回
clm-withdraw-kept = 好的，登记未撤回。
clm-withdrawn = 已撤回登记 #{ $id }“{ $title }”。证明材料仍予保存。

clm-cancel = ✖️ 取消登记
clm-cancelled = 已取消本次登记，没有提交任何内容。
clm-back-summary = ↩️ 返回确认页
clm-current = 当前：{ $value }
clm-no-id-number = 为保护个人信息，请不要在此填写身份证号码。请重新输入：

clm-ask-year = 请选择要登记的年度（学时只能登记在活动所在的年度，不能跨年）：
clm-year-button = { $year } 年度
clm-year-last-button = { $year } 年度（可登记至 { $deadline }）

clm-ask-category = 请选择 { $year } 年度的学时类别：
clm-category-line = · { $line }
clm-count-half-days = { $name }：按实际参加学时计算，每半天计 { $hours } 学时
clm-count-actual = { $name }：按实际参加学时计算
clm-count-reviewer = { $name }：学时由所在单位审验时核定

clm-ask-title = 请输入学习活动的名称（如培训班、会议或项目名称）：
clm-ask-organiser = 请输入主办单位（举办培训或会议的机构）：
clm-ask-start = 请输入活动的开始日期，例如 { $year }-05-03、{ $year }.5.3 或 { $year }年5月3日（须在 { $year } 年度内）：
clm-ask-end = 开始日期：{ $start }。请输入结束日期（须在 { $year } 年度内，不早于开始日期）；当天结束的请点“同一天”：
clm-same-day = 同一天结束
clm-date-invalid = 没有识别出这个日期。请按 2024-05-03、2024.5.3 或 2024年5月3日 的格式输入：

clm-ask-hours = 请输入实际参加的学时（可为 0.5 的整数倍，单条最多 { $max } 学时），例如 6 或 7.5：
clm-ask-hours-proposed = 请输入您建议的学时（可为 0.5 的整数倍，单条最多 { $max } 学时）：
clm-use-half-days = 按半天数填写
clm-use-hours = 按学时填写
clm-ask-half-days = 请输入参加的半天数（整数，每半天计 { $hours } 学时，最多 { $max } 个半天）：
clm-half-days-invalid = 半天数应为正整数，例如 3。请重新输入：

clm-ask-evidence = 请发送证明材料：照片或 PDF 文件（如结业证书、参会证明），每份不超过 { $max_mb } MB，最多 { $max } 份。发送完毕请点“完成”。
clm-evidence-count = 已收到 { $count } 份（图片 { $images } 份，PDF { $pdfs } 份）。
clm-evidence-summary = { $count } 份（图片 { $images } 份，PDF { $pdfs } 份）
clm-evidence-done = ✅ 完成（{ $count } 份）
clm-evidence-clear = 🗑 清空重新上传
clm-evidence-cleared = 已清空已上传的证明材料，请重新发送。
clm-evidence-needed = 请至少上传 { $min } 份证明材料。
clm-evidence-send-file = 这里需要证明材料的照片或 PDF 文件，请直接发送文件。
clm-evidence-received = 已收到第 { $number } 份证明材料（{ $kind }）。
clm-evidence-duplicate = 这份材料已经上传过了，不重复计入。
clm-evidence-full = 每条登记最多 { $max } 份证明材料，已达上限。
clm-evidence-fetch-failed = 文件没有下载成功，请重新发送一次。
clm-kind-image = 图片
clm-kind-pdf = PDF

clm-pledge-button = ✍️ 本人承诺属实

clm-summary-title = 请核对登记内容：
clm-summary-year = 年度：{ $year }
clm-summary-category = 类别：{ $value }
clm-summary-title-line = 名称：{ $value }
clm-summary-organiser = 主办单位：{ $value }
clm-summary-dates = 日期：{ $start } 至 { $end }
clm-summary-hours = 学时：{ $value }
clm-summary-evidence = 证明材料：{ $value }
clm-summary-pledged = ✅ 本人承诺属实
clm-summary-ask = 内容无误请点“确认提交”；需要修改请点对应按钮。
clm-hours-value = { $hours } 学时
clm-hours-half-days = { $hours } 学时（{ $half_days } 个半天）
clm-hours-proposed-note = （建议值，由单位审验时核定）
clm-confirm = ✅ 确认提交
clm-edit-year = 修改年度
clm-edit-category = 修改类别
clm-edit-title = 修改名称
clm-edit-organiser = 修改主办单位
clm-edit-dates = 修改日期
clm-edit-hours = 修改学时
clm-edit-evidence = 修改证明材料
clm-submitted = 登记 #{ $id }“{ $title }”已提交（{ $hours } 学时，{ $status }）。所在单位审验通过后计入学时，结果会通知您。
clm-resume-button = ▶️ 继续未完成的登记：{ $what }
clm-resume-plain = ▶️ 继续未完成的登记
clm-resumed = 接着刚才的登记继续：
clm-resume-gone = 未完成的登记已不在了，请重新登记。
