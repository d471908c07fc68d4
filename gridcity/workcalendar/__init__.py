"""Working calendar (工作日历): office hours, public holidays, make-up workdays."""
