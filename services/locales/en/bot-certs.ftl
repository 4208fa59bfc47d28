## My certificates and certificate verification in the bot (bot/flows/certs.py); the revocation
## notice queued by services/certificates.py. Titles, statuses and fields: certificates.ftl.

cmd-desc-certs = My certificates
cmd-desc-verify = Check a certificate

certs-title = 📜 { $name }'s continuing-education certificates
certs-year = [{ $year }]
certs-other-years = [Other years]
certs-not-bound = You have not linked your identity yet; once linked you can see and download your certificates. Anyone can check a certificate without linking.
certs-held = ✅ { $title }
certs-held-detail = {"    "}Number { $number } · issued { $date } · valid
certs-revoked = ❌ { $title } (number { $number }, issued { $date }) was revoked on { $revoked }: { $reason }
certs-eligible = 🟢 { $title }: you qualify and can generate it now
certs-missing = ⚪ { $title }: not yet
certs-missing-exam = {"    "}· The mandatory public-subject exam is not passed yet
certs-missing-total = {"    "}· { $total } of { $min } hours in all; { $needed } more needed
certs-missing-share = {"    "}· Verified professional hours must be at least { $share } of the total; now { $professional } of { $total }
certs-missing-professional = {"    "}· { $needed } more verified professional hours needed
certs-missing-pending = {"    "}· { $pending } professional hours are waiting for your unit to verify them; they count once verified

certs-kind-short-public_exam = public-subject certificate
certs-kind-short-ce = CE certificate
certs-get-button = 📜 Generate { $kind } ({ $year })
certs-download-button = ⬇️ Download { $kind } ({ $year })
certs-verify-button = 🔍 Check a certificate
certs-back-button = 📜 My certificates

certs-preparing = Preparing the certificate PDF…
certs-issued =
    🎉 Generated: { $title }
    Number: { $number }
    Keep the PDF; anyone can check it with the QR code on it.
certs-sent =
    { $title }
    Number: { $number } (issued { $date })
certs-not-eligible = { $title } ({ $year }) cannot be generated yet:
certs-unknown = That certificate was not found; please choose again from the list below.
certs-revoked-short = This certificate was revoked
certs-revoked-not-sent = Certificate { $number } was revoked on { $revoked } ({ $reason }) and is no longer valid, so it is not sent. Once you qualify again you can generate a new one.
certs-reason-hours_reduced = the hours it was based on were reduced
certs-reason-other = revoked

certs-notice-revoked =
    { $kinds ->
        [ce] Your { $year } continuing-education certificate (专业技术人员继续教育合格证书), number { $numbers }, has been revoked because the hours behind it were reduced; it is no longer valid.
        [public_exam] Your { $year } public-subject exam certificate (专业技术人员继续教育公需科目考试合格证书), number { $numbers }, has been revoked because the hours behind it were reduced; it is no longer valid.
       *[both] Both your { $year } certificates, numbers { $numbers }, have been revoked because the hours behind them were reduced; they are no longer valid.
    } Once you qualify again you can generate a new one under "My certificates".

certs-verify-ask = Send the certificate number (for example GX2024-CE-000123), the verification link from its QR code, or a photo of the QR code.
certs-verify-bad-input = No certificate number found. Numbers look like GX2024-CE-000123; you can also send a photo of the certificate's QR code.
certs-verify-not-image = Please send a photo of the certificate's QR code, or type its number.
certs-verify-too-large = That file is too large (at most { $max } MB); please send a photo of the QR code.
certs-verify-no-qr = No QR code found in the photo. Take a sharp photo of the whole QR code on the certificate and send it again, or type the number.
certs-verify-foreign-qr = That QR code is not a certificate code of this service. Scan the QR code on the certificate, or type its number.
certs-verify-title = 🔍 Certificate check
certs-verify-verdict = { $mark } { $status }
certs-verify-field = { $label }: { $value }
certs-verify-bare-note = A number alone shows only the certificate's status. To see the holder's name and hours, send a photo of the QR code or its verification link.
certs-verify-locked = Too many unsuccessful checks: checking is paused to prevent guessing. Please try again after { $until }.
certs-verify-again-button = 🔍 Check another
