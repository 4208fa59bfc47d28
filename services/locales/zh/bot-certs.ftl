## My certificates and certificate verification in the bot (bot/flows/certs.py); the revocation
## notice queued by services/certificates.py. Titles, statuses and fields: certificates.ftl.

cmd-desc-certs = 我的证书
cmd-desc-verify = 验证证书真伪

certs-title = 📜 { $name } 的继续教育证书
certs-year = 【{ $year } 年度】
certs-other-years = 【其他年度】
certs-not-bound = 您还没有绑定身份，绑定后即可查看和下载证书。验证证书真伪无需绑定。
certs-held = ✅ { $title }
certs-held-detail = 　　编号 { $number } · { $date } 签发 · 有效
certs-revoked = ❌ { $title }（编号 { $number }，{ $date } 签发）已于 { $revoked } 撤销：{ $reason }
certs-eligible = 🟢 { $title }：已符合条件，可以生成
certs-missing = ⚪ { $title }：尚未符合条件
certs-missing-exam = 　　· 公需科目必修课考试尚未通过
certs-missing-total = 　　· 合计 { $total } / { $min } 学时，还差 { $needed } 学时
certs-missing-share = 　　· 专业科目（已审验）须占合计学时的 { $share } 以上，目前为 { $professional } / { $total } 学时
certs-missing-professional = 　　· 还需已审验的专业科目 { $needed } 学时
certs-missing-pending = 　　· 另有 { $pending } 学时专业科目正在等待单位审验，审验通过后计入

certs-kind-short-public_exam = 公需科目证书
certs-kind-short-ce = 合格证书
certs-get-button = 📜 生成{ $kind }（{ $year }）
certs-download-button = ⬇️ 下载{ $kind }（{ $year }）
certs-verify-button = 🔍 验证证书真伪
certs-back-button = 📜 我的证书

certs-preparing = 正在准备证书 PDF……
certs-issued =
    🎉 已生成《{ $title }》
    编号：{ $number }
    请保存 PDF 文件；证书上的二维码可供任何人查验真伪。
certs-sent =
    《{ $title }》
    编号：{ $number }（{ $date } 签发）
certs-not-eligible = { $title }（{ $year } 年度）暂不能生成：
certs-unknown = 没有找到这张证书，请在下面的列表中重新选择。
certs-revoked-short = 该证书已撤销
certs-revoked-not-sent = 证书 { $number } 已于 { $revoked } 撤销（{ $reason }），不再有效，因此不再发送。重新符合条件后可以生成新的证书。
certs-reason-hours_reduced = 证书所依据的学时减少
certs-reason-other = 已撤销

certs-notice-revoked =
    { $kinds ->
        [ce] 您 { $year } 年度的《专业技术人员继续教育合格证书》
        [public_exam] 您 { $year } 年度的《专业技术人员继续教育公需科目考试合格证书》
       *[both] 您 { $year } 年度的两张继续教育证书
    }（编号 { $numbers }）所依据的学时减少，证书已撤销，不再有效。重新符合条件后，可在“我的证书”中生成新的证书。

certs-verify-ask = 请发送证书编号（例如 GX2024-CE-000123）、证书二维码中的验证链接，或二维码的照片。
certs-verify-bad-input = 没有识别到证书编号。证书编号形如 GX2024-CE-000123；也可以发送证书二维码的照片。
certs-verify-not-image = 请发送证书二维码的照片，或输入证书编号。
certs-verify-too-large = 文件太大（上限 { $max } MB），请发送二维码的照片。
certs-verify-no-qr = 照片中没有识别到二维码。请对准证书上的二维码，拍摄清晰、完整的照片后重新发送，或直接输入证书编号。
certs-verify-foreign-qr = 这个二维码不是本系统的证书验证码。请扫描证书右下角的二维码，或直接输入证书编号。
certs-verify-title = 🔍 证书验证结果
certs-verify-verdict = { $mark } { $status }
certs-verify-field = { $label }：{ $value }
certs-verify-bare-note = 仅凭编号只能查询证书状态。如需核对持证人姓名和学时，请发送证书二维码的照片或其中的验证链接。
certs-verify-locked = 查询失败次数过多，为防止批量猜测已暂停查询。请在 { $until } 之后再试。
certs-verify-again-button = 🔍 再验证一张
