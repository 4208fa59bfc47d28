## Public subjects: study and exam (bot/flows/study.py)

cmd-desc-study = Public subjects: study and exam
cmd-desc-exam = Continue or start the mandatory exam

stu-not-bound = Please bind your identity first to study the public subjects.
stu-refused = ⚠️ { $reason }
stu-refused-other = This cannot be done right now; please try again later.

# Study screen
stu-home-title = 📚 Public subjects for { $year }
stu-home-makeup = 🔁 You are making up the { $year } public subjects; once passed, the hours count for { $year }.
stu-home-mandatory-passed = ✅ Mandatory exam passed; { $hours } hours counted.
stu-home-course = · Mandatory course “{ $title }”: { $read } of { $count } chapters read ({ $hours } hours once read and its exam passed)
stu-home-exam = · Exam: { $questions } questions, pass mark { $mark }%; { $used } of { $allowed } attempts used, { $left } left
stu-home-exam-locked = · The exam opens once every chapter is read.
stu-home-exam-open = · The exam is open. Once started, submit within { $limit }, or the attempt is abandoned and counts as used.
stu-home-exam-in-progress = · You have an exam in progress (valid for { $limit } from its start); continue where you left off.
stu-home-no-attempts = · All attempts are used. You can ask for remedial study and a re-exam; if an administrator approves, you get { $extra } more attempts.
stu-home-remedial-pending = · Your request for remedial study and a re-exam is waiting for an administrator; you will be told the outcome.
stu-home-electives-year = · Electives count for { $year }:
stu-home-electives = · Electives: { $done } of { $total } done ({ $hours } hours once all are done)
stu-home-electives-credited = ✅ Elective hours counted: { $hours }.

stu-btn-read = 📖 Continue reading (chapter { $number })
stu-btn-reread = 📖 Read the mandatory course again
stu-btn-start = 📝 Start the exam (attempt { $number })
stu-btn-resume = 📝 Continue the exam
stu-btn-remedial = 🙋 Ask for a remedial re-exam
stu-btn-electives = 📚 Electives
stu-btn-back-study = ↩ Back to the study screen
stu-btn-back-electives = ↩ Back to the electives
stu-btn-chapter-next = ✅ Read, next chapter
stu-btn-chapter-last = ✅ Finished the course
stu-btn-chapter-prev = ⬅ Previous chapter
stu-btn-pause = ⏸ Continue later
stu-btn-submit = 📮 Submit the exam
stu-btn-approve = ✅ Approve the re-exam
stu-btn-decline = ✖ Decline

stu-limit-hours = { $hours } hours
stu-limit-minutes = { $minutes } minutes

# Chapters
stu-chapter-head = 📖 “{ $course }”, chapter { $seq } of { $count }: { $title }
stu-media-link = 🔗 { $caption }: { $url }
stu-media-image = 🖼 { $caption }: { $url }
stu-media-link-plain = 🔗 { $url }
stu-media-image-plain = 🖼 { $url }
stu-course-done = 🎉 You have read every chapter of “{ $title }”. The exam is open.

# Questions
stu-q-head = 📝 Question { $number } of { $total } ({ $kind })
stu-check-head = 📝 “{ $course }” check, question { $number } of { $total } ({ $kind })
stu-kind-single = single choice
stu-kind-multiple = multiple choice
stu-kind-truefalse = true or false
stu-q-multiple-hint = Tap every correct option (tap again to undo), then “Send this answer”.
stu-q-send = 📨 Send this answer
stu-q-pick-one = Please choose at least one option.
stu-q-already = This question is already answered; please use the latest question.

# Exam
stu-exam-intro = 📝 Attempt { $number } of { $allowed }: { $questions } questions, pass mark { $mark }%. Answer with the buttons; an answer cannot be changed once given. Submit within { $limit }, or the attempt is abandoned and counts as used.
stu-exam-makeup = 🔁 This is the { $year } make-up exam; once passed, the hours count for { $year }.
stu-exam-all-answered = All { $total } questions are answered. Tap “Submit the exam” to see your score.
stu-exam-paused = ⏸ Exam paused; your progress is saved. Come back within { $limit } of its start to finish it, from “Study and exam” or /exam.
stu-exam-ended = That exam attempt has ended (submitted or timed out). Here is where you stand now.

stu-result-already = This attempt was already submitted; its result (counted once):
stu-result-score = Attempt { $number }: { $correct } of { $total } correct ({ $percent }%), pass mark { $mark }%.
stu-result-passed = 🎉 Congratulations, you passed!
stu-result-hours = ✅ { $hours } mandatory hours counted for { $year }.
stu-result-hours-makeup = ✅ Make-up passed: { $hours } mandatory hours counted for { $year }.
stu-result-failed = Sorry, you did not pass this time.
stu-result-left = You have { $left } attempts left; review the course and try again.
stu-result-none-left = All attempts are used. You can ask for remedial study and a re-exam; an administrator can reopen the exam.

# Remedial re-exam
stu-remedial-sent = 📮 Your request for remedial study and a re-exam ({ $year }) has been sent. If an administrator approves it, you get { $extra } more attempts and will be told; meanwhile you can review the course.
stu-remedial-pending = Your { $year } request for a remedial re-exam is already waiting for review; you will be told the outcome.
stu-remedial-admin = 📮 Remedial re-exam request: { $name } ({ $masked }) has used every { $year } mandatory exam attempt. Approving adds { $extra } attempts.
stu-remedial-done-approved = ✅ Approved ({ $year }): { $extra } more attempts granted; the person has been told.
stu-remedial-done-declined = Declined ({ $year }); the person has been told.
stu-remedial-was-approved = This request ({ $year }) was already approved by another administrator; nothing to do.
stu-remedial-was-declined = This request ({ $year }) was already declined by another administrator; nothing to do.
stu-remedial-approved = ✅ Your { $year } remedial re-exam request was approved: { $extra } more attempts ({ $left } available now). Take the exam from “Study and exam” when ready.
stu-remedial-declined = Your { $year } remedial re-exam request was declined. For questions, call the service centre on 0771-966111.

# Electives
stu-el-title = 📚 Electives for { $year }: { $done } of { $total } done; { $hours } hours once all are done
stu-el-makeup = 🔁 This is the { $year } make-up; the hours count for { $year }.
stu-el-none = The { $year } electives are not available yet.
stu-el-topic = [{ $topic }]
stu-el-no-topic = Other
stu-el-how = A course is done once its content is read and its short check passed. Tap a course to start:
stu-el-course-done = ✅ Elective “{ $title }” done.
stu-el-remaining = { $left } electives still to do; { $hours } hours once all are done.
stu-el-all-done = 🎉 Every elective done: { $hours } hours counted for { $year }.
stu-el-all-done-makeup = 🎉 Every elective done: { $hours } hours counted for { $year } (make-up).
stu-check-intro = You have read “{ $title }”. Please answer its { $count } check questions.
stu-check-passed = ✅ Check passed ({ $correct } of { $total } correct): “{ $title }” is done.
stu-check-failed = Check: { $correct } of { $total } correct, below { $mark }%. Review the course and try again.
stu-check-changed = The check questions have changed; please start again.
stu-check-again = Please start this course's check again from the electives list.

# My progress
stu-prog-line = · Public subjects: { $details }
stu-prog-sep = { "; " }
stu-prog-exam = { $left } of { $allowed } exam attempts left
stu-prog-electives = { $done } of { $total } electives done

# Issue 17: make-up electives, re-reading after a failed check, stale buttons, reopened exams
stu-home-electives-year-done = ✅ Elective hours for { $year } counted: { $hours }.
stu-el-next = The { $year } electives are open: you can go on with them.
stu-btn-electives-year = 📚 { $year } electives
stu-el-check-ready = Every chapter of “{ $title }” is read; its short check is still to pass. Review the course first, or take the check now.
stu-el-retry = “{ $title }” is not done yet.
stu-btn-reread-elective = 📖 Review the course (from chapter 1)
stu-btn-check = 📝 Take the check
stu-btn-check-again = 📝 Try the check again
stu-stale-study = ⚠️ This button is out of date (from an earlier message). Here is where your study stands now:
stu-stale-electives = ⚠️ This button is out of date (from an earlier message). Here are your electives now:
stu-stale-exam = ⚠️ This button is out of date (from an earlier message). Your exam is still open; here is the current question:
stu-stale-exam-ended = ⚠️ This button is out of date: that exam has ended (submitted or timed out). Here is where you are now:
stu-stale-exam-passed = ⚠️ This button is out of date: you have passed the { $year } exam; there is nothing more to take.
stu-stale-no-attempts = ⚠️ This button is out of date: all { $used } exam attempts for { $year } are used, so no exam can be started. Tap “Ask for a remedial re-exam” below; if an administrator approves, you get { $extra } more attempts.
stu-stale-no-attempts-pending = ⚠️ This button is out of date: all { $used } exam attempts for { $year } are used. Your request for remedial study and a re-exam is waiting for an administrator; you will be told the outcome.
stu-remedial-reopened = ✅ An administrator has reopened your { $year } exam for remedial study and a re-exam: { $extra } more attempts ({ $left } available now). Take the exam from “Study and exam” when ready.
