"""Public satisfaction surveys (群众满意度测评): questionnaires answered by citizens and parties to cases."""
