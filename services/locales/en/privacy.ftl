## Personal information

cmd-desc-mydata = My data (see, export, correct, erase)
cmd-desc-privacy = Personal information
privacy-notice = 🔒 How your personal information is processed (version { $version })
    Binding needs your resident ID number, which is sensitive personal information. Before you type it:
    · Who: Guangxi's authority for the continuing education of professional technical personnel and the organisation running this service for it;
    · What: your ID number (stored encrypted, shown masked), name, employer, study, exam and claim records with their evidence, and certificates;
    · Why: to register your hours, have your unit verify them, run the exam, issue and verify certificates, and the spot checks and statistics the rules require;
    · How long: hours, results and certificates are kept { $years } years after the end of their year; the chat binding goes as soon as you unbind;
    · Who sees it: you, your unit's HR reviewers, the department's administrators and auditors; every view is written to an access log.
    You can see, export, correct or erase your data at any time in "My data". Full text: { $url }
    Do you agree to your ID number and personal information being processed this way?
privacy-notice-again = 🔒 The notice on your personal information has changed (version { $version }); please confirm to go on.
    · Who processes what, and why, as before; hours, results and certificates are kept { $years } years after the end of their year;
    · your unit's HR reviewers and the department's administrators and auditors can see them; every view is logged.
    Full text: { $url }
    Do you agree? If not, this account's binding is removed (the hour records your unit must keep are not affected).
privacy-agree = ✅ I agree
privacy-refuse = I do not agree
privacy-read-full = 📄 Read the full text
privacy-thanks = Thank you, your consent is recorded.
privacy-refused = All right: without your consent we do not collect your ID number and cannot bind you.
    You can still handle your continuing education through your unit offline. Send /start if you change your mind.
privacy-refused-bound = You did not agree to the new notice, so this account's binding has been removed. The hour records your unit must keep are not affected.
    Send /start to bind again if you change your mind.
privacy-not-bound = You have not bound your identity, so no personal information is linked to this account.
privacy-summary-title = 🔒 My data
privacy-summary-person = · { $name } ({ $masked }), unit: { $unit }
privacy-summary-records = · Hour records by year: { $years }
privacy-summary-counts = · { $claims } claims, { $files } evidence files, { $attempts } exam attempts, { $certificates } certificates
privacy-summary-access = · Views of your data by others: { $count }
privacy-summary-consent = · Notice version you agreed to: { $version }; hour records are kept { $years } years after their year
privacy-choose = You can:
privacy-export = 📦 Export all my data
privacy-access = 👁 Who has viewed my data
privacy-correct = ✏️ Ask for a correction
privacy-erase = 🗑 Unbind and ask for erasure
privacy-export-ready = Here is all your data (data.json and your evidence files). It is sent to you alone; please keep it safe.
privacy-access-none = Nobody else has viewed your data so far.
privacy-access-title = 👁 Recent views:
privacy-access-line = · { $at }  { $role } viewed { $what }
privacy-what-claim = a claim
privacy-what-evidence = evidence
privacy-what-report = your line in a unit report
privacy-what-record = an hour record
privacy-what-export = exported data
privacy-correct-ask = Please write what needs correcting and what it should be (at most { $max } characters). We pass it to your unit's HR reviewers.
privacy-correct-invalid = Please describe the correction in words (1 to { $max } characters).
privacy-correct-sent = Your correction request has been received and passed to your unit's HR reviewers.
privacy-correct-no-reviewer = Your correction request has been received. Your unit has no HR reviewer yet, so the department will handle it; you can also call 0771-966111.
privacy-erase-confirm = Unbind and ask for erasure?
    · Deleted now: this account's binding to you and the conversation state;
    · Kept as the law requires: hour records, exam results and certificates, until { $years } years after the end of their year, then deleted automatically.
privacy-erase-yes = Yes, erase
privacy-erase-no = Cancel
privacy-erase-kept = All right, nothing was changed.
privacy-erase-done = Unbound, and the conversation state deleted.
    Kept as the law requires: { $records } hour records and { $certificates } certificates, until { $until }, then deleted automatically.
privacy-correction-for-reviewer = ✏️ { $name } ({ $masked }) asks for a correction of their personal information:
    "{ $text }"
    Please check and correct it in the system.
